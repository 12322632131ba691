# Reference values of Cox models with the discrete (conditional logistic) likelihood for tied
# times: R coxph(ties = "exact") = SAS PHREG TIES=DISCRETE = survstat ties="discrete".
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_cox_exact.R
# Uses survival's veteran (time in 30-day months), lung (time in 30-day months and in weeks;
# and with the institutions as strata) and ovarian (time in 30-day months) data, and writes tests/reference/r_reference_cox_exact.json:
# per case the data, coefficients, variance, both log-likelihoods, the likelihood-ratio, Wald
# and score tests and the iterations; for two cases also what builds on the fit: survfit
# (default curve and one profile), basehaz, martingale and deviance residuals and cox.zph.
# R refuses case weights with ties = "exact" (coxexact.fit), so no case has weights.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

cox_case <- function(name, d, time, event, covariates, strata = NULL) {
  rhs <- paste(covariates, collapse = " + ")
  if (!is.null(strata)) rhs <- paste(rhs, "+ strata(", strata, ")")
  f <- as.formula(sprintf("Surv(%s, %s) ~ %s", time, event, rhs))
  fit <- coxph(f, data = d, ties = "exact")
  s <- summary(fit)
  list(name = name, time = time, event = event, covariates = covariates, strata = strata,
       data = as.list(d), coef = unname(coef(fit)), se = unname(sqrt(diag(fit$var))),
       var = unname(fit$var), loglik = fit$loglik, logtest = unname(s$logtest),
       wald = unname(fit$wald.test), score = unname(fit$score), iter = fit$iter,
       n = fit$n, nevent = fit$nevent, fit = fit)
}

after_fit <- function(case, newdata) {
  fit <- case$fit
  sf <- survfit(fit, newdata = newdata, se.fit = TRUE)
  base <- survfit(fit, se.fit = TRUE)
  bh <- basehaz(fit, centered = FALSE)
  z <- cox.zph(fit)
  curve <- function(s) list(time = s$time, surv = as.vector(s$surv),
                            cumhaz = as.vector(s$cumhaz), std_err = as.vector(s$std.err))
  case$after <- list(
    means = unname(fit$means), profile = newdata, profile_curve = curve(sf),
    default_curve = curve(base), basehaz = list(time = bh$time, hazard = bh$hazard),
    martingale = unname(residuals(fit, type = "martingale")),
    deviance = unname(residuals(fit, type = "deviance")),
    zph = list(term = rownames(z$table), statistic = unname(z$table[, "chisq"]),
               df = unname(z$table[, "df"]), p_value = unname(z$table[, "p"])))
  case
}

cases <- list()
vet <- veteran[, c("time", "status", "trt", "karno", "age", "celltype")]
vet$celltype <- as.character(vet$celltype)
vet$month <- ceiling(vet$time / 30)
vet$time <- NULL
cases[[length(cases) + 1]] <- after_fit(
  cox_case("veteran_months", vet, "month", "status", c("karno", "age", "trt")),
  data.frame(karno = 60, age = 65, trt = 2))
cases[[length(cases) + 1]] <- cox_case("veteran_months_celltype", vet, "month", "status",
                                       c("karno", "trt", "celltype"))
cases[[length(cases) + 1]] <- after_fit(
  cox_case("veteran_months_strata", vet, "month", "status", c("karno", "trt"),
           strata = "celltype"),
  data.frame(karno = 50, trt = 1))

lng <- lung[complete.cases(lung[, c("time", "status", "age", "sex", "ph.ecog")]),
            c("time", "status", "age", "sex", "ph.ecog")]
lng$event <- as.integer(lng$status == 2)
lng$status <- NULL
lng$month <- ceiling(lng$time / 30)
lng$week <- ceiling(lng$time / 7)
lng$time <- NULL
cases[[length(cases) + 1]] <- cox_case("lung_months", lng, "month", "event",
                                       c("age", "sex", "ph.ecog"))
cases[[length(cases) + 1]] <- cox_case("lung_weeks_strata", lng, "week", "event",
                                       c("age", "ph.ecog"), strata = "sex")

# many small strata (institutions), as in matched sets: each stratum's pass is short
lin <- lung[complete.cases(lung[, c("inst", "time", "status", "age", "sex")]),
            c("inst", "time", "status", "age", "sex")]
lin$event <- as.integer(lin$status == 2)
lin$status <- NULL
lin$month <- ceiling(lin$time / 30)
lin$time <- NULL
cases[[length(cases) + 1]] <- cox_case("lung_months_strata_inst", lin, "month", "event",
                                       c("age", "sex"), strata = "inst")

ova <- ovarian[, c("futime", "fustat", "age", "rx", "ecog.ps")]
ova$month <- ceiling(ova$futime / 30)
ova$futime <- NULL
cases[[length(cases) + 1]] <- cox_case("ovarian_months", ova, "month", "fustat",
                                       c("age", "rx", "ecog.ps"))

cases <- lapply(cases, function(c) { c$fit <- NULL; c })
meta <- list(R = R.version.string, survival = as.character(packageVersion("survival")))
writeLines(toJSON(list(meta = meta, cases = cases), digits = NA, na = "string",
                  auto_unbox = TRUE),
           "tests/reference/r_reference_cox_exact.json")
cat("wrote", length(cases), "cases\n")
