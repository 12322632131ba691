# Reference values of the alpelisib case study's duration of response (survstat km and
# summary on the SYNTHETIC alpelisib_patients dataset, four patients, one progression).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_alpelisib.R
# Reads tests/reference/data/alpelisib_dor.csv (subject_id, dor_months, dor_event of the
# bundled dataset) and writes tests/reference/r_reference_alpelisib.json:
# - survfit(Surv(dor_months, dor_event) ~ 1, conf.type = "log-log"): time, n.risk, n.event,
#   n.censor, surv, std.err (of log S; survstat reports S x that), lower, upper;
# - quantile(fit, 0.5, conf.int = TRUE): the median (NA: not reached) and its interval.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
options(digits = 16)

dor <- read.csv("tests/reference/data/alpelisib_dor.csv", stringsAsFactors = FALSE)
fit <- survfit(Surv(dor_months, dor_event) ~ 1, data = dor, conf.type = "log-log")
q <- quantile(fit, probs = 0.5, conf.int = TRUE)
out <- list(
  km = list(
    time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event, n_censor = fit$n.censor,
    survival = fit$surv, std_error = fit$surv * fit$std.err, conf_low = fit$lower,
    conf_high = fit$upper
  ),
  median = list(
    median = unname(q$quantile), conf_low = unname(q$lower), conf_high = unname(q$upper)
  )
)
writeLines(
  toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
  "tests/reference/r_reference_alpelisib.json"
)
