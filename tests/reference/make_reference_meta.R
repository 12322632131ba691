# Reference values of meta-analyses of two-arm binary outcomes (survstat meta_analysis).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_meta.R
# Writes tests/reference/r_reference_meta.json. Data: metafor's dat.bcg (13 BCG vaccine trials:
# tpos/tneg vaccinated, cpos/cneg control), dat.collins1985b (9 trials of diuretics in
# pre-eclampsia), and a small set of pCR-like trials with a zero cell and a trial without
# events in either arm. For each measure (OR, RR, RD): escalc's yi and vi; rma.mh; rma with
# method "EE", "DL" and "REML" (REML solved to 1e-12), each with test "z" and "knha":
# estimate, se, interval, z/t, p-value, tau2, I2, H2, QE and its p-value, and predict()'s
# prediction interval.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
options(digits = 16)

bcg <- data.frame(study = paste(dat.bcg$author, dat.bcg$year), ai = dat.bcg$tpos,
                  n1i = dat.bcg$tpos + dat.bcg$tneg, ci = dat.bcg$cpos,
                  n2i = dat.bcg$cpos + dat.bcg$cneg)
col <- dat.collins1985b
collins <- data.frame(study = col$author, ai = col$pre.xti, n1i = col$pre.nti,
                      ci = col$pre.xci, n2i = col$pre.nci)
pcr <- data.frame(study = c("A", "B", "C", "D", "E", "F"), ai = c(12, 20, 7, 0, 15, 0),
                  n1i = c(40, 60, 25, 18, 45, 12), ci = c(8, 11, 6, 2, 9, 0),
                  n2i = c(38, 61, 24, 17, 44, 13))
ctl <- list(threshold = 1e-13, maxiter = 10000, stepadj = 0.5)

fit_all <- function(name, d) {
  out <- list()
  for (measure in c("OR", "RR", "RD")) {
    e <- escalc(measure, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d)
    mh <- rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, measure = measure)
    one <- function(m) {
      p <- predict(m)
      list(estimate = unname(m$beta[1]), se = m$se, ci_lb = m$ci.lb, ci_ub = m$ci.ub,
           stat = m$zval, p = m$pval, tau2 = m$tau2, I2 = m$I2, H2 = m$H2, QE = m$QE,
           QEp = m$QEp, pi_lb = if (is.null(p$pi.lb)) NA else p$pi.lb,
           pi_ub = if (is.null(p$pi.ub)) NA else p$pi.ub, k = m$k)
    }
    fits <- list(MH = one(mh))
    for (method in c("EE", "DL", "REML")) {
      for (test in c("z", "knha")) {
        if (method == "EE" && test == "knha") next
        m <- rma(yi, vi, data = e, method = method, test = test, control = ctl)
        fits[[paste(method, test)]] <- one(m)
      }
    }
    out[[measure]] <- list(yi = e$yi, vi = e$vi, fits = fits,
                           weights_ee = unname(weights(rma(yi, vi, data = e, method = "EE"))),
                           weights_reml = unname(weights(rma(yi, vi, data = e, method = "REML",
                                                             control = ctl))))
  }
  list(name = name, data = d, measures = out)
}
cases <- list(fit_all("bcg", bcg), fit_all("collins", collins), fit_all("pcr", pcr))
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, na = "null"),
           "tests/reference/r_reference_meta.json")
