# Two-arm response comparisons for survstat's tests, from base R (stats).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_2x2.R
# Writes tests/reference/r_reference_2x2.json. fisher.test's p-values come straight from R; its
# conditional MLE and exact confidence limits are recomputed with fisher.test's own functions
# but uniroot(tol = 1e-13), because fisher.test solves them only to uniroot's default tolerance
# (about 1e-4). Newcombe's hybrid score interval is written out from Newcombe (1998), method 10.
# The Mantel-Haenszel risk difference and its Sato / Greenland-Robins intervals come from epiR
# (epi.2by2, Debian package r-cran-epir).

suppressPackageStartupMessages(library(jsonlite))
suppressPackageStartupMessages(library(epiR))
options(digits = 16)

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

wilson <- function(x, n, level) prop.test(x, n, conf.level = level, correct = FALSE)$conf.int

cases <- list()
for (cs in list(c(13, 24, 5, 22), c(19, 29, 10, 30), c(0, 10, 3, 12), c(8, 8, 2, 9),
                c(40, 120, 25, 118), c(1, 5, 0, 6), c(30, 50, 30, 50), c(7, 20, 12, 21))) {
  x1 <- cs[1]; n1 <- cs[2]; x2 <- cs[3]; n2 <- cs[4]
  tab <- matrix(c(x1, n1 - x1, x2, n2 - x2), nrow = 2, byrow = TRUE)
  for (level in c(0.95, 0.9)) {
    p1 <- x1 / n1; p2 <- x2 / n2
    w1 <- wilson(x1, n1, level); w2 <- wilson(x2, n2, level)
    d <- p1 - p2
    newcombe <- c(d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
    ft <- fisher.test(tab, conf.level = level)
    cases[[length(cases) + 1]] <- list(
      x1 = x1, n1 = n1, x2 = x2, n2 = n2, level = level, difference = d, newcombe = newcombe,
      fisher_p = ft$p.value, fisher_greater = fisher.test(tab, alternative = "greater")$p.value,
      fisher_less = fisher.test(tab, alternative = "less")$p.value,
      exact_or = exact_or(tab, level), fisher_test_or = c(unname(ft$estimate), ft$conf.int),
      chisq_correct = suppressWarnings(prop.test(c(x1, x2), c(n1, n2), correct = TRUE)$p.value),
      chisq = suppressWarnings(prop.test(c(x1, x2), c(n1, n2), correct = FALSE)$p.value))
  }
}
# stratified 2 x 2 x K tables: mantelhaen.test (CMH test with and without continuity
# correction, Mantel-Haenszel common odds ratio with the Robins-Breslow-Greenland interval).
# Each stratum is (x1, n1, x2, n2): responders / patients in the group, then in the reference.
strat_cases <- list(
  ucb = lapply(1:6, function(k) { t <- UCBAdmissions[, , k]; c(t[1, 2], sum(t[, 2]), t[1, 1], sum(t[, 1])) }),
  small = list(c(3, 10, 1, 9), c(5, 12, 2, 11), c(0, 4, 1, 5)),
  trial = list(c(13, 24, 5, 22), c(10, 20, 8, 21), c(7, 15, 4, 16)))
stratified <- list()
for (nm in names(strat_cases)) {
  s <- strat_cases[[nm]]
  arr <- array(0, dim = c(2, 2, length(s)))
  for (k in seq_along(s)) {
    v <- s[[k]]
    arr[, , k] <- matrix(c(v[1], v[2] - v[1], v[3], v[4] - v[3]), nrow = 2, byrow = TRUE)
  }
  for (level in c(0.95, 0.9)) {
    m <- mantelhaen.test(arr, conf.level = level)
    m0 <- mantelhaen.test(arr, correct = FALSE)
    e <- epi.2by2(as.table(arr), method = "cohort.count", units = 1, conf.level = level)$massoc.detail
    stratified[[length(stratified) + 1]] <- list(
      name = nm, level = level, strata = s, statistic = unname(m$statistic), p = m$p.value,
      statistic_uncorrected = unname(m0$statistic), p_uncorrected = m0$p.value,
      mh_or = unname(m$estimate), conf_int = as.numeric(m$conf.int),
      mh_rd_sato = as.numeric(e$ARisk.mh.sato), mh_rd_greenland = as.numeric(e$ARisk.mh.green))
  }
}

writeLines(toJSON(list(meta = list(R = R.version.string, epiR = as.character(packageVersion("epiR")),
                                   generated = format(Sys.Date())),
                       cases = cases, stratified = stratified), digits = NA, na = "string", auto_unbox = TRUE),
           "tests/reference/r_reference_2x2.json")
cat("wrote", length(cases), "cases\n")
