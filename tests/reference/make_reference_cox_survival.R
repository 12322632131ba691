# Reference values of survival curves after a Cox fit (survstat cox_survival, baseline_hazard).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_cox_survival.R
# Reads tests/reference/data/gbsg2.csv and mgus2.csv and writes
# tests/reference/r_reference_cox_survival.json: survfit(coxph(...), newdata=, se.fit=TRUE,
# conf.type=) curves (time, n.risk, n.event, n.censor, surv, cumhaz, std.err, lower, upper per
# profile and stratum), the default curve at the means, and basehaz(centered = TRUE / FALSE),
# for Efron and Breslow ties, strata, case weights (w = 1 + row %% 3) and a robust variance.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
options(digits = 16)

gbsg <- read.csv("tests/reference/data/gbsg2.csv", stringsAsFactors = FALSE)
mgus <- read.csv("tests/reference/data/mgus2.csv", stringsAsFactors = FALSE)
gbsg$w <- 1 + (seq_len(nrow(gbsg)) %% 3)
gbsg$id <- (seq_len(nrow(gbsg)) - 1) %/% 2

curves <- function(sf, nprofiles) {
  strata <- if (is.null(sf$strata)) rep("", length(sf$time)) else
    rep(names(sf$strata), sf$strata)
  m <- function(v) if (is.matrix(v)) v else matrix(v, ncol = 1)
  lapply(seq_len(nprofiles), function(i) list(
    strata = strata, time = sf$time, n_risk = sf$n.risk, n_event = sf$n.event,
    n_censor = sf$n.censor, surv = m(sf$surv)[, i], cumhaz = m(sf$cumhaz)[, i],
    std_err = m(sf$std.err)[, i], lower = m(sf$lower)[, i], upper = m(sf$upper)[, i]))
}

cases <- list()
add <- function(name, fit, newdata, conf_type = "log") {
  sf <- survfit(fit, newdata = newdata, se.fit = TRUE, conf.type = conf_type)
  base <- survfit(fit, se.fit = TRUE, conf.type = conf_type)
  bh_c <- basehaz(fit, centered = TRUE)
  bh_u <- basehaz(fit, centered = FALSE)
  cases[[length(cases) + 1]] <<- list(
    name = name, conf_type = conf_type, means = unname(fit$means),
    profiles = curves(sf, nrow(newdata)), default = curves(base, 1)[[1]],
    basehaz_centered = list(time = bh_c$time, hazard = bh_c$hazard),
    basehaz_uncentered = list(time = bh_u$time, hazard = bh_u$hazard))
}

f1 <- coxph(Surv(time, cens) ~ horTh + age, data = gbsg)
add("gbsg2 efron", f1, data.frame(horTh = c("yes", "no"), age = c(50, 60)))
f2 <- coxph(Surv(time, cens) ~ horTh + pnodes + strata(tgrade), data = gbsg, weights = w,
            ties = "breslow")
add("gbsg2 breslow strata weights", f2, data.frame(horTh = c("no"), pnodes = c(3)),
    conf_type = "log-log")
f3 <- coxph(Surv(futime, death) ~ age + sex, data = mgus)
add("mgus2 efron", f3, data.frame(age = c(60, 75), sex = c("F", "M")))
f4 <- coxph(Surv(time, cens) ~ age + tsize, data = gbsg, cluster = id)
add("gbsg2 robust", f4, data.frame(age = 55, tsize = 25), conf_type = "plain")

write_json(cases, "tests/reference/r_reference_cox_survival.json", digits = NA,
           auto_unbox = TRUE, pretty = FALSE)
