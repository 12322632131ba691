# Reference values of the metformin case study (examples/metformin_review.toml), computed with
# R metafor (meta-analysis of pCR across trials) and cmprsk (breast cancer death with
# other-cause death competing).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_metformin.R
# Writes tests/reference/r_reference_metformin.json. Data: the bundled SYNTHETIC datasets
# metformin_trials and metformin_patients, exported as CSV to tests/reference/data/ (a test
# checks that the CSV files hold the bundled rows).
#
# Trials: for each measure (RR, OR, RD) escalc's yi and vi (1/2 added to the cells of a trial
# with a zero cell), rma.mh, and rma with method "EE", "DL" and "REML" (REML solved to 1e-13),
# each with test "z" and "knha": estimate, interval, z/t, p-value, tau2, I2, H2, QE and its
# p-value, predict()'s prediction interval; the trials' EE and REML weights.
# Patients: cuminc by arm (cause 1 breast cancer death, 2 other-cause death, 0 censored),
# timepoints() at 36, 60 and 84 months, Gray's test per cause; crr for cause 1 on the arm
# (Metformin vs Control): coefficient and variance.

suppressPackageStartupMessages({
  library(metafor)
  library(cmprsk)
  library(jsonlite)
})
options(digits = 16)

trials <- read.csv("tests/reference/data/metformin_trials.csv", stringsAsFactors = FALSE)
d <- data.frame(study = trials$trial, ai = trials$pcr_metformin, n1i = trials$n_metformin,
                ci = trials$pcr_control, n2i = trials$n_control)
ctl <- list(threshold = 1e-13, maxiter = 10000, stepadj = 0.5)

one <- function(m) {
  p <- predict(m)
  list(estimate = unname(m$beta[1]), se = m$se, ci_lb = m$ci.lb, ci_ub = m$ci.ub,
       stat = m$zval, p = m$pval, tau2 = m$tau2, I2 = m$I2, H2 = m$H2, QE = m$QE,
       QEp = m$QEp, pi_lb = if (is.null(p$pi.lb)) NA else p$pi.lb,
       pi_ub = if (is.null(p$pi.ub)) NA else p$pi.ub, k = m$k)
}
measures <- list()
for (measure in c("RR", "OR", "RD")) {
  e <- escalc(measure, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d)
  mh <- rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, measure = measure)
  fits <- list(MH = one(mh))
  for (method in c("EE", "DL", "REML")) {
    for (test in c("z", "knha")) {
      if (method == "EE" && test == "knha") next
      fits[[paste(method, test)]] <- one(rma(yi, vi, data = e, method = method, test = test,
                                             control = ctl))
    }
  }
  measures[[measure]] <- list(
    yi = as.numeric(e$yi), vi = as.numeric(e$vi), fits = fits,
    weights_ee = unname(weights(rma(yi, vi, data = e, method = "EE"))),
    weights_dl = unname(weights(rma(yi, vi, data = e, method = "DL"))),
    weights_reml = unname(weights(rma(yi, vi, data = e, method = "REML", control = ctl))))
}

patients <- read.csv("tests/reference/data/metformin_patients.csv", stringsAsFactors = FALSE)
ci <- cuminc(patients$time, patients$cause, patients$arm, cencode = 0)
times <- c(36, 60, 84)
tp <- timepoints(ci[names(ci) != "Tests"], times)
curves <- list()
for (name in rownames(tp$est)) {
  curves[[name]] <- list(est = unname(tp$est[name, ]), var = unname(tp$var[name, ]))
}
tests <- ci$Tests
gray <- list(cause = as.integer(rownames(tests)), stat = unname(tests[, "stat"]),
             p = unname(tests[, "pv"]), df = unname(tests[, "df"]))
x <- matrix(as.numeric(patients$arm == "Metformin"), ncol = 1)
fg <- crr(patients$time, patients$cause, x, failcode = 1, cencode = 0)
crr_out <- list(coef = unname(fg$coef), var = unname(fg$var), loglik = fg$loglik,
                loglik_null = fg$loglik.null, converged = fg$converged)

meta <- list(R = R.version.string, metafor = as.character(packageVersion("metafor")),
             cmprsk = as.character(packageVersion("cmprsk")))
out <- list(meta = meta, trials = measures, cuminc = list(times = times, curves = curves),
            gray = gray, crr = crr_out)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null"),
           "tests/reference/r_reference_metformin.json")
cat("wrote tests/reference/r_reference_metformin.json\n")
