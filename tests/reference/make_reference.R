# Reference values for survstat's tests, computed with R's survival package.
#
# Run from the repository root:
#     Rscript tests/reference/make_reference.R
# It reads tests/reference/data/gbsg2.csv (exported from survstat's bundled GBSG2) and writes
# tests/reference/r_reference.json. The tests compare survstat against this file, so they need
# no R. Values are printed with 15 significant digits; non-finite values are "NA"/"Inf"/"NaN".

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

conf_types <- c("log", "log-log", "plain", "logit", "arcsin")

surv_formula <- function(spec) {
  lhs <- if (is.null(spec$entry)) sprintf("Surv(%s, %s)", spec$time, spec$event)
         else sprintf("Surv(%s, %s, %s)", spec$entry, spec$time, spec$event)
  rhs <- if (is.null(spec$by)) "1" else spec$by
  as.formula(paste(lhs, "~", rhs))
}

curve_labels <- function(fit) {
  if (is.null(fit$strata)) rep("all", length(fit$time))
  else rep(names(fit$strata), fit$strata)
}

fit_km <- function(d, spec, conf_type, level) {
  f <- surv_formula(spec)
  if (is.null(spec$weight)) survfit(f, data = d, conf.type = conf_type, conf.int = level)
  else do.call(survfit, list(formula = f, data = d, weights = d[[spec$weight]],
                             conf.type = conf_type, conf.int = level))
}

km_table <- function(fit) {
  s <- summary(fit, censored = TRUE)
  list(curve = curve_labels(fit), time = fit$time, n_risk = fit$n.risk,
       n_event = fit$n.event, n_censor = fit$n.censor, surv = fit$surv,
       std_err_surv = s$std.err, lower = fit$lower, upper = fit$upper,
       cumhaz = fit$cumhaz, std_chaz = fit$std.chaz, logse = fit$logse)
}

quantile_table <- function(fit, probs) {
  q <- quantile(fit, probs = probs)
  labs <- if (is.null(fit$strata)) "all" else names(fit$strata)
  as_mat <- function(x) matrix(x, nrow = length(labs))
  qm <- as_mat(q$quantile); lo <- as_mat(q$lower); up <- as_mat(q$upper)
  list(curve = rep(labs, times = length(probs)), prob = rep(probs, each = length(labs)),
       quantile = c(qm), lower = c(lo), upper = c(up))
}

at_table <- function(fit, times) {
  s <- summary(fit, times = times, extend = TRUE)
  labs <- if (is.null(s$strata)) rep("all", length(s$time)) else as.character(s$strata)
  list(curve = labs, time = s$time, n_risk = s$n.risk, surv = s$surv, std_err = s$std.err,
       lower = s$lower, upper = s$upper)
}

rmean_table <- function(fit, tau) {
  tab <- summary(fit, rmean = tau)$table
  if (is.null(dim(tab))) tab <- matrix(tab, nrow = 1, dimnames = list("all", names(tab)))
  list(curve = rownames(tab), rmean = unname(tab[, "rmean"]), se = unname(tab[, "se(rmean)"]),
       n = unname(tab[, "records"]), events = unname(tab[, "events"]))
}

survdiff_result <- function(d, spec, rho) {
  rhs <- spec$by
  if (!is.null(spec$strata)) rhs <- paste(rhs, "+ strata(", spec$strata, ")")
  f <- as.formula(sprintf("Surv(%s, %s) ~ %s", spec$time, spec$event, rhs))
  sd <- survdiff(f, data = d, rho = rho)
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  ex <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  df <- sum(ex > 0) - 1
  # trend test over ordered groups (scores 1..K), from survdiff's own O - E and variance
  k <- length(obs); sc <- seq_len(k)
  u <- sum(sc * (obs - ex)); v <- drop(t(sc) %*% sd$var %*% sc)
  list(groups = names(sd$n), obs = unname(obs), exp = unname(ex), var = unname(sd$var),
       chisq = sd$chisq, df = df, p = pchisq(sd$chisq, df, lower.tail = FALSE),
       log_p = pchisq(sd$chisq, df, lower.tail = FALSE, log.p = TRUE),
       trend_chisq = u^2 / v, trend_p = pchisq(u^2 / v, 1, lower.tail = FALSE))
}

# Weighted log-rank statistics written out from their definition (Fleming & Harrington 1991,
# sec. 7.3): weight w(t) per distinct event time, hypergeometric variance. S(t-) is the pooled
# left-continuous Kaplan-Meier within each stratum, as in survdiff.
weighted_logrank <- function(d, spec, weight_fun) {
  grp <- factor(d[[spec$by]])
  strat <- if (is.null(spec$strata)) rep(1, nrow(d)) else d[[spec$strata]]
  k <- nlevels(grp); U <- numeric(k); V <- matrix(0, k, k)
  for (s in unique(strat)) {
    ds <- d[strat == s, ]; gs <- grp[strat == s]
    tt <- ds[[spec$time]]; ev <- ds[[spec$event]]
    etimes <- sort(unique(tt[ev == 1]))
    km <- 1
    for (t in etimes) {
      atrisk <- tt >= t
      n <- sum(atrisk); dd <- sum(ev[tt == t])
      nk <- tabulate(gs[atrisk], nbins = k); dk <- tabulate(gs[tt == t & ev == 1], nbins = k)
      w <- weight_fun(km, n)
      U <- U + w * (dk - nk * dd / n)
      if (n > 1) {
        p <- nk / n
        V <- V + w^2 * dd * (n - dd) / (n - 1) * (diag(p) - p %o% p)
      }
      km <- km * (1 - dd / n)
    }
  }
  keep <- 2:k
  chisq <- drop(t(U[keep]) %*% solve(V[keep, keep, drop = FALSE], U[keep]))
  list(chisq = chisq, df = k - 1, p = pchisq(chisq, k - 1, lower.tail = FALSE), o_minus_e = U)
}

weight_funs <- list(
  "fh(0,1)" = function(s, n) (1 - s)^1,
  "fh(1,1)" = function(s, n) s * (1 - s),
  "fh(0.5,2)" = function(s, n) s^0.5 * (1 - s)^2,
  "gehan-breslow" = function(s, n) n,
  "tarone-ware" = function(s, n) sqrt(n)
)

make_case <- function(name, d, spec, times, tau, probs = c(0.1, 0.25, 0.5, 0.75, 0.9),
                      tests = TRUE) {
  out <- list(name = name, spec = spec, times = times, tau = tau, probs = probs,
              data = as.list(d))
  out$km <- list(); out$quantile <- list(); out$at <- list()
  for (ct in conf_types) for (lv in c(0.95, 0.9)) {
    key <- sprintf("%s@%s", ct, lv)
    fit <- fit_km(d, spec, ct, lv)
    out$km[[key]] <- km_table(fit)
    out$quantile[[key]] <- quantile_table(fit, probs)
    out$at[[key]] <- at_table(fit, times)
  }
  fit <- fit_km(d, spec, "log-log", 0.95)
  out$rmean <- rmean_table(fit, tau)
  if (!is.null(spec$by) && tests && is.null(spec$weight) && is.null(spec$entry)) {
    out$survdiff <- list()
    for (rho in c(0, 1, 0.5)) out$survdiff[[sprintf("%s", rho)]] <- survdiff_result(d, spec, rho)
    out$weighted_logrank <- lapply(weight_funs, function(f) weighted_logrank(d, spec, f))
  }
  out
}

cases <- list()

# --- real datasets from the survival package --------------------------------------------------
vet <- veteran
vet$trt <- as.integer(vet$trt)
vet$celltype <- as.character(vet$celltype)
cases[[length(cases) + 1]] <- make_case(
  "veteran_trt", vet[, c("time", "status", "trt", "celltype", "karno")],
  list(time = "time", event = "status", by = "trt"), times = c(0, 10, 30, 100, 250, 600, 1000),
  tau = 500)
cases[[length(cases) + 1]] <- make_case(
  "veteran_celltype_by_trt", vet[, c("time", "status", "trt", "celltype")],
  list(time = "time", event = "status", by = "trt", strata = "celltype"),
  times = c(0, 50, 200), tau = 400)
cases[[length(cases) + 1]] <- make_case(
  "veteran_celltype", vet[, c("time", "status", "celltype")],
  list(time = "time", event = "status", by = "celltype"), times = c(0, 20, 100, 400), tau = 300)

lng <- lung[!is.na(lung$ph.ecog) & lung$ph.ecog < 3, c("time", "status", "sex", "ph.ecog")]
lng$event <- as.integer(lng$status == 2)
lng$status <- NULL
lng$ph.ecog <- as.integer(lng$ph.ecog)
cases[[length(cases) + 1]] <- make_case(
  "lung_all", lng, list(time = "time", event = "event"),
  times = c(0, 100, 365, 730, 1100), tau = 730)
cases[[length(cases) + 1]] <- make_case(
  "lung_sex", lng, list(time = "time", event = "event", by = "sex"),
  times = c(0, 100, 365, 730, 1100), tau = 730)
cases[[length(cases) + 1]] <- make_case(
  "lung_ecog_by_sex", lng, list(time = "time", event = "event", by = "ph.ecog", strata = "sex"),
  times = c(0, 180, 365), tau = 600)

am <- aml
am$x <- as.character(am$x)
cases[[length(cases) + 1]] <- make_case(
  "aml_x", am, list(time = "time", event = "status", by = "x"),
  times = c(0, 5, 12, 30, 200), tau = 40)

pb <- pbc[!is.na(pbc$trt) & !is.na(pbc$stage), c("time", "status", "trt", "stage", "edema")]
pb$event <- as.integer(pb$status == 2)
pb$status <- NULL
pb$trt <- as.integer(pb$trt)
pb$stage <- as.integer(pb$stage)
cases[[length(cases) + 1]] <- make_case(
  "pbc_trt", pb, list(time = "time", event = "event", by = "trt"),
  times = c(0, 365, 1826, 3650, 5000), tau = 3650)
cases[[length(cases) + 1]] <- make_case(
  "pbc_stage_trend", pb, list(time = "time", event = "event", by = "stage"),
  times = c(0, 1000, 3000), tau = 3000)
cases[[length(cases) + 1]] <- make_case(
  "pbc_trt_by_stage", pb, list(time = "time", event = "event", by = "trt", strata = "stage"),
  times = c(0, 1000), tau = 2000)

gb <- read.csv("tests/reference/data/gbsg2.csv", stringsAsFactors = FALSE)
cases[[length(cases) + 1]] <- make_case(
  "gbsg2_horth", gb[, c("time", "cens", "horTh", "tgrade")],
  list(time = "time", event = "cens", by = "horTh"),
  times = c(0, 365, 730, 1825, 3000), tau = 1825)
cases[[length(cases) + 1]] <- make_case(
  "gbsg2_horth_by_tgrade", gb[, c("time", "cens", "horTh", "tgrade")],
  list(time = "time", event = "cens", by = "horTh", strata = "tgrade"),
  times = c(0, 1000), tau = 2000)
cases[[length(cases) + 1]] <- make_case(
  "gbsg2_tgrade", gb[, c("time", "cens", "tgrade")],
  list(time = "time", event = "cens", by = "tgrade"), times = c(0, 1000, 2000), tau = 2000)

# --- weights and delayed entry ------------------------------------------------------------------
am_w <- am
am_w$w <- rep(c(1L, 2L, 3L), length.out = nrow(am_w))
cases[[length(cases) + 1]] <- make_case(
  "aml_integer_weights", am_w, list(time = "time", event = "status", by = "x", weight = "w"),
  times = c(0, 10, 40), tau = 40)
vet_w <- vet[, c("time", "status", "trt", "karno")]
vet_w$w <- vet_w$karno / 37
cases[[length(cases) + 1]] <- make_case(
  "veteran_fractional_weights", vet_w,
  list(time = "time", event = "status", by = "trt", weight = "w"),
  times = c(0, 50, 200, 1000), tau = 300)
vet_e <- vet[, c("time", "status", "trt", "diagtime", "karno")]
vet_e$entry <- floor(vet_e$time * ((vet_e$karno %% 7) / 10))
cases[[length(cases) + 1]] <- make_case(
  "veteran_delayed_entry", vet_e, list(time = "time", event = "status", by = "trt", entry = "entry"),
  times = c(0, 50, 200, 1000), tau = 300)
vet_ew <- vet_e
vet_ew$w <- vet_ew$karno / 37
cases[[length(cases) + 1]] <- make_case(
  "veteran_entry_fractional_weights", vet_ew,
  list(time = "time", event = "status", entry = "entry", weight = "w"),
  times = c(0, 50, 200, 1000), tau = 300)

# --- edge cases ---------------------------------------------------------------------------------
edge <- function(name, time, status, by = NULL, times = c(0, 2, 100), tau = 4, tests = TRUE) {
  d <- data.frame(time = time, status = status)
  spec <- list(time = "time", event = "status")
  if (!is.null(by)) { d$g <- by; spec$by <- "g" }
  cases[[length(cases) + 1]] <<- make_case(name, d, spec, times = times, tau = tau, tests = tests)
}
edge("ties_events_censorings", c(1, 1, 1, 2, 2, 3, 3, 3, 4, 5, 5, 6),
     c(1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1),
     by = c("a", "b", "a", "b", "a", "b", "a", "b", "a", "b", "a", "b"))
edge("all_censored_group", c(1, 2, 3, 4, 5, 6, 2, 3, 7, 8),
     c(1, 0, 1, 1, 0, 1, 0, 0, 0, 0), by = c(rep("a", 6), rep("b", 4)), tau = 5)
edge("events_at_time_zero", c(0, 0, 0, 1, 2, 3, 3, 5), c(1, 1, 0, 1, 1, 0, 1, 0), tau = 4)
edge("single_subject", 5, 1, times = c(0, 5, 10), tau = 6)
edge("drop_to_zero", c(1, 2, 2, 3, 4), c(1, 1, 0, 1, 1), times = c(0, 2, 4, 9), tau = 5)
edge("half_flat_middle", c(1, 2, 3, 4, 5, 6), c(1, 1, 1, 0, 1, 1), times = c(0, 3.5, 6), tau = 6)
edge("half_flat_end", c(1, 2, 3, 4), c(1, 1, 0, 0), times = c(0, 2.5, 10), tau = 4)
edge("no_events", c(2, 3, 5), c(0, 0, 0), times = c(0, 4), tau = 4)

# --- scale: 2 million rows, 1,397 distinct times, heavy ties, p-value near 1e-90 -------------
# The data are a deterministic formula (no random numbers), rebuilt identically by the tests.
N <- 2000000
i <- 0:(N - 1)
big <- data.frame(g = i %% 2, time = (i %/% 2) %% 997 + 1, event = as.integer((i %% 5) != 0))
big$time <- big$time + ifelse(big$g == 1 & ((i %/% 2) %% 87 == 0), 400, 0)
large <- list(n = N)
for (rho in c(0, 1)) {
  sd <- survdiff(Surv(time, event) ~ g, data = big, rho = rho)
  large[[sprintf("survdiff_rho%s", rho)]] <- list(
    chisq = sd$chisq, p = pchisq(sd$chisq, 1, lower.tail = FALSE), obs = sd$obs, exp = sd$exp,
    var = sd$var)
}
fit <- survfit(Surv(time, event) ~ g, data = big, conf.type = "log-log")
large$at <- at_table(fit, c(100, 500, 900, 1200))
large$quantile <- quantile_table(fit, c(0.25, 0.5, 0.75))
large$rmean <- rmean_table(fit, 1000)

meta <- list(R = R.version.string, survival = as.character(packageVersion("survival")),
             generated = format(Sys.Date()))
writeLines(toJSON(list(meta = meta, cases = cases, large = large), digits = NA, na = "string",
                  auto_unbox = TRUE, pretty = FALSE),
           "tests/reference/r_reference.json")
cat("wrote", length(cases), "cases\n")
