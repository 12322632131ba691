# Reference values for survstat.design.survival (Lachin–Foulkes sample size).
#
# Run from the repository root with the path of gsDesign's R/ source folder (gsDesign is not
# packaged for Debian; its source is at https://github.com/keaven/gsDesign):
#     Rscript tests/reference/make_reference_survival.R /path/to/gsDesign/R
# It writes tests/reference/survival.json with, for each setting,
# - gsDesign::nSurvival(type = "rr", entry = "unif")'s n and nEvents, from gsDesign's own code
#   (its files are sourced, not copied; values here are from gsDesign 3.11.0.9003, commit
#   2a5688846651a56f469cdb0997c2adf325c1b7d6);
# - rpact::getSampleSizeSurvival's eventsFixed / nFixed (rpact 3.3.4), the average probability
#   of an event over the arms with the same accrual, follow-up and exponential dropout
#   (rpact's own sample size uses Schoenfeld's events, not Lachin–Foulkes, so only this ratio
#   is comparable);
# and, for accrual given as a rate with a minimum follow-up, gsDesign::nSurv(T = NULL,
# method = "LachinFoulkes", tol = 1e-13)'s solved accrual duration R, n and events (nSurv's
# default tol, about 1e-4, leaves R about 1e-6 from the root).
# Values are written with 15 significant digits.

suppressPackageStartupMessages({
  library(rpact)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: make_reference_survival.R /path/to/gsDesign/R")
gs <- new.env()
for (file in sort(list.files(args[[1]], pattern = "[.]R$", full.names = TRUE))) {
  sys.source(file, envir = gs)
}

settings <- list(
  # gsDesign's documented example (man/nSurvival.Rd; print snapshot n = 430, nEvents = 91)
  list(hc = 0.2, ht = 0.1, eta = 0.1, Tr = 0.5, Ts = 2, ratio = 1, alpha = 0.025, sided = 1, power = 0.9),
  # print snapshot "rr with approximate computation": n = 4308, nEvents = 92
  list(hc = 0.2, ht = 0.1, eta = 6.9, Tr = 0.5, Ts = 2, ratio = 1, alpha = 0.025, sided = 1, power = 0.9),
  list(hc = 0.2, ht = 0.1, eta = 0.1, Tr = 0.5, Ts = 2, ratio = 2, alpha = 0.025, sided = 1, power = 0.9),
  list(hc = 0.2, ht = 0.1, eta = 0, Tr = 0.5, Ts = 2, ratio = 0.8, alpha = 0.025, sided = 1, power = 0.9),
  list(hc = log(2) / 12, ht = 0.7 * log(2) / 12, eta = 0.02, Tr = 12, Ts = 36, ratio = 1, alpha = 0.025, sided = 1, power = 0.9),
  list(hc = log(2) / 12, ht = 0.7 * log(2) / 12, eta = 0.02, Tr = 12, Ts = 36, ratio = 1, alpha = 0.05, sided = 2, power = 0.8),
  list(hc = log(2) / 6, ht = log(2) / 9, eta = 0, Tr = 18, Ts = 30, ratio = 2, alpha = 0.05, sided = 2, power = 0.9),
  list(hc = log(2) / 6, ht = log(2) / 9, eta = 0.01, Tr = 24, Ts = 24, ratio = 1, alpha = 0.025, sided = 1, power = 0.85),
  list(hc = 0.05, ht = 0.065, eta = 0.005, Tr = 20, Ts = 40, ratio = 1.5, alpha = 0.025, sided = 1, power = 0.9),
  list(hc = 1.2, ht = 0.8, eta = 0.3, Tr = 1, Ts = 3, ratio = 1, alpha = 0.01, sided = 1, power = 0.95)
)

one <- function(s) {
  fit <- gs$nSurvival(lambda1 = s$hc, lambda2 = s$ht, eta = s$eta, Ts = s$Ts, Tr = s$Tr,
                      ratio = s$ratio, alpha = s$alpha, beta = 1 - s$power, sided = s$sided,
                      type = "rr", entry = "unif")
  rp <- tryCatch({
    dropout <- if (s$eta > 0) 1 - exp(-s$eta) else 0
    fit_rp <- getSampleSizeSurvival(
      alpha = s$alpha, beta = 1 - s$power, sided = s$sided, lambda1 = s$ht, lambda2 = s$hc,
      allocationRatioPlanned = s$ratio, accrualTime = c(0, s$Tr), followUpTime = s$Ts - s$Tr,
      dropoutRate1 = dropout, dropoutRate2 = dropout, dropoutTime = 1,
      typeOfComputation = "Schoenfeld")
    fit_rp$eventsFixed / fit_rp$nFixed
  }, error = function(e) NULL)
  c(s, list(n = fit$n, events = fit$nEvents, rpact_probability_event = rp))
}

rates <- list(
  list(hc = 0.2, hr = 0.5, eta = 0.1, rate = 100, follow_up = 1.5, ratio = 1, alpha = 0.025, sided = 1, power = 0.9),
  list(hc = 0.2, hr = 0.5, eta = 0.1, rate = 60, follow_up = 1.5, ratio = 1, alpha = 0.025, sided = 1, power = 0.9),
  list(hc = log(2) / 12, hr = 0.7, eta = 0.01, rate = 20, follow_up = 12, ratio = 2, alpha = 0.025, sided = 1, power = 0.9),
  list(hc = log(2) / 6, hr = 0.6, eta = 0, rate = 15, follow_up = 6, ratio = 1, alpha = 0.05, sided = 2, power = 0.8)
)

one_rate <- function(s) {
  fit <- gs$nSurv(lambdaC = s$hc, hr = s$hr, eta = s$eta, gamma = s$rate, R = 12,
                  minfup = s$follow_up, T = NULL, ratio = s$ratio, alpha = s$alpha,
                  beta = 1 - s$power, sided = s$sided, method = "LachinFoulkes", tol = 1e-13)
  c(s, list(accrual_time = fit$R, study_duration = fit$T, n = fit$n, events = fit$d))
}

out <- list(
  source = "gsDesign::nSurvival, gsDesign::nSurv (sourced from gsDesign's R/); rpact::getSampleSizeSurvival",
  rpact_version = as.character(packageVersion("rpact")),
  settings = lapply(settings, one),
  accrual_rate = lapply(rates, one_rate)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(15), null = "null", pretty = TRUE),
           "tests/reference/survival.json")
