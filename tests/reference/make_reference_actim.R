# Reference values of the ACTIM case study (examples/actim.toml), computed with R survival.
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_actim.R
# It reads tests/reference/data/actim_endpoints.csv (the per-patient time to MR4.5 of the
# bundled SYNTHETIC ACTIM cohort: cause 1 = MR4.5, 0 = censored; written by
# `python tests/reference/make_actim_inputs.py`) and writes
# tests/reference/r_reference_actim.json: MR4.5 by months 12 and 48 as 1 - Kaplan-Meier
# (log-log interval), the Aalen-Johansen incidence (cmprsk::cuminc with its variance, log-log
# interval F^exp(-+z se / (F log F)) as tidycmprsk draws it), the exact rate of all patients
# and of those followed in the study to the month (binom.test: two-sided Clopper-Pearson
# interval; by month 12 also the one-sided test against 23%, the month-12 expectation on
# imatinib alone, which is no null rate for month 48).

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})
options(digits = 16)

d <- read.csv("tests/reference/data/actim_endpoints.csv", stringsAsFactors = FALSE)
km <- survfit(Surv(time, cause == 1) ~ 1, data = d, conf.type = "log-log")
aj <- cuminc(d$time, d$cause, cencode = 0)

by_month <- function(month, null_rate = NULL) {
  k <- summary(km, times = month)
  a <- timepoints(aj, month)
  f <- a$est["1 1", 1]
  half <- qnorm(0.975) * sqrt(a$var["1 1", 1]) / (f * log(f))
  limits <- sort(f^exp(c(-half, half)))
  responded <- d$cause == 1 & d$time <= month
  followed <- d$last_follow_up >= month  # no discontinuation, progression or death here
  rate <- function(who) {
    x <- sum(responded[who]); n <- sum(who)
    out <- list(n = n, x = x, estimate = x / n,
                conf_low = binom.test(x, n)$conf.int[1], conf_high = binom.test(x, n)$conf.int[2])
    if (!is.null(null_rate)) {
      out$p_value <- binom.test(x, n, p = null_rate, alternative = "greater")$p.value
    }
    out
  }
  list(
    month = month,
    one_minus_km = list(estimate = 1 - k$surv, conf_low = 1 - k$upper, conf_high = 1 - k$lower),
    incidence = list(estimate = f, conf_low = limits[1], conf_high = limits[2]),
    rate_all = rate(rep(TRUE, nrow(d))),
    rate_followed = rate(followed)
  )
}

out <- list(by_12 = by_month(12, null_rate = 0.23), by_48 = by_month(48))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/r_reference_actim.json")
