# Reference values of the response-rate table (survstat table response, RSPT01 layout).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_table_response.R
# Reads tests/reference/data/breast_cbor.csv (the bundled breast trial's ITT subjects from ADSL
# joined to their confirmed best overall response, ADRS PARAMCD CBOR: USUBJID, TRT01P, AVALC)
# and writes tests/reference/r_reference_table_response.json:
# - per arm: n, responders (CR or PR), binom.test's Clopper-Pearson interval, and per response
#   category its count and binom.test interval (denominator: every subject of the arm);
# - per non-reference arm against "B: aromatase inhibitor + AKTi": fisher.test's p-value and
#   its conditional MLE odds ratio and exact interval (recomputed with fisher.test's own
#   functions at uniroot(tol = 1e-13) as in make_reference_2x2.R: fisher.test solves them only
#   to about 1e-4; fisher_odds_ratio keeps fisher.test's own estimate), prop.test with and
#   without continuity correction (p-value);
# - a small stratified case (two strata, counts below): mantelhaen.test with and without
#   continuity correction (p-value, Mantel-Haenszel odds ratio and its interval).

suppressPackageStartupMessages(library(jsonlite))
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

d <- read.csv("tests/reference/data/breast_cbor.csv", stringsAsFactors = FALSE,
              na.strings = "")
reference <- "B: aromatase inhibitor + AKTi"
categories <- c("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
exact_or <- function(tab, level) {
  m <- sum(tab[, 1]); n <- sum(tab[, 2]); k <- sum(tab[1, ]); x <- tab[1, 1]
  lo <- max(0, k - n); hi <- min(k, m)
  support <- lo:hi
  logdc <- dhyper(support, m, n, k, log = TRUE)
  dnhyper <- function(ncp) { d <- logdc + log(ncp) * support; d <- exp(d - max(d)); d / sum(d) }
  mnhyper <- function(ncp) if (ncp == 0) lo else if (ncp == Inf) hi else sum(support * dnhyper(ncp))
  pnhyper <- function(q, ncp, upper.tail = FALSE) {
    if (ncp == 1) return(if (upper.tail) phyper(x - 1, m, n, k, lower.tail = FALSE) else phyper(x, m, n, k))
    if (ncp == 0) return(as.numeric(if (upper.tail) q <= lo else q >= lo))
    if (ncp == Inf) return(as.numeric(if (upper.tail) q <= hi else q >= hi))
    sum(dnhyper(ncp)[if (upper.tail) support >= q else support <= q])
  }
  tol <- 1e-13
  mle <- if (x == lo) 0 else if (x == hi) Inf else {
    mu <- mnhyper(1)
    if (mu > x) uniroot(function(t) mnhyper(t) - x, c(0, 1), tol = tol)$root
    else if (mu < x) 1 / uniroot(function(t) mnhyper(1 / t) - x, c(.Machine$double.eps, 1), tol = tol)$root
    else 1
  }
  alpha <- (1 - level) / 2
  ncp.U <- if (x == hi) Inf else {
    p <- pnhyper(x, 1)
    if (p < alpha) uniroot(function(t) pnhyper(x, t) - alpha, c(0, 1), tol = tol)$root
    else if (p > alpha) 1 / uniroot(function(t) pnhyper(x, 1 / t) - alpha, c(.Machine$double.eps, 1), tol = tol)$root
    else 1
  }
  ncp.L <- if (x == lo) 0 else {
    p <- pnhyper(x, 1, upper.tail = TRUE)
    if (p > alpha) uniroot(function(t) pnhyper(x, t, upper.tail = TRUE) - alpha, c(0, 1), tol = tol)$root
    else if (p < alpha) 1 / uniroot(function(t) pnhyper(x, 1 / t, upper.tail = TRUE) - alpha, c(.Machine$double.eps, 1), tol = tol)$root
    else 1
  }
  c(mle, ncp.L, ncp.U)
}

resp <- function(x) !is.na(x) & x %in% c("CR", "PR")

arms <- list()
for (a in sort(unique(d$TRT01P))) {
  x <- d$AVALC[d$TRT01P == a]
  n <- length(x)
  r <- sum(resp(x))
  ci <- binom.test(r, n)$conf.int
  cats <- lapply(c(categories, NA), function(cat) {
    k <- if (is.na(cat)) sum(is.na(x)) else sum(!is.na(x) & x == cat)
    b <- binom.test(k, n)$conf.int
    list(category = cat, n = k, rate = k / n, conf_low = b[1], conf_high = b[2])
  })
  arm <- list(arm = a, n = n, n_responders = r, rate = r / n, conf_low = ci[1],
              conf_high = ci[2], categories = cats)
  if (a != reference) {
    y <- d$AVALC[d$TRT01P == reference]
    tab <- matrix(c(r, n - r, sum(resp(y)), length(y) - sum(resp(y))), 2, byrow = TRUE)
    f <- fisher.test(tab)
    arm$fisher_p <- f$p.value
    e <- exact_or(tab, 0.95)
    arm$odds_ratio <- e[1]
    arm$odds_ratio_conf_low <- e[2]
    arm$odds_ratio_conf_high <- e[3]
    arm$fisher_odds_ratio <- unname(f$estimate)
    arm$chisq_p <- suppressWarnings(prop.test(tab, correct = TRUE)$p.value)
    arm$chisq_uncorrected_p <- suppressWarnings(prop.test(tab, correct = FALSE)$p.value)
  }
  arms[[length(arms) + 1]] <- arm
}

# stratified: rows treatment (new, ctl) x columns (responder, non-responder) x stratum
strata <- array(c(9, 5, 3, 7,    # stratum s1: new 9/12, ctl 5/12
                  6, 2, 8, 10),  # stratum s2: new 6/14, ctl 2/12
                dim = c(2, 2, 2))
m <- mantelhaen.test(strata, correct = TRUE)
mu <- mantelhaen.test(strata, correct = FALSE)
stratified <- list(cmh_p = m$p.value, cmh_uncorrected_p = mu$p.value,
                   odds_ratio = unname(m$estimate), odds_ratio_conf_low = m$conf.int[1],
                   odds_ratio_conf_high = m$conf.int[2])

out <- list(reference = reference, arms = arms, stratified = stratified)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           "tests/reference/r_reference_table_response.json")
