# Parametric survival regression reference values for survstat's tests, computed with R's
# survival::survreg.
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_survreg.R
# It reads tests/reference/data/gbsg2.csv and survival's lung, ovarian and veteran data, and
# writes tests/reference/r_reference_survreg.json (the data of each case go into the JSON).
# Each case is fitted twice: with survreg's default control (iterations as R reports them) and
# with rel.tolerance = 1e-13 (the maximum itself, to which the tests compare at 1e-8).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

ps <- c(0.1, 0.25, 0.5, 0.75, 0.9)

lp_of <- function(fit, nd) unname(predict(fit, newdata = nd, type = "lp"))

survreg_case <- function(name, d, time, event, covariates, dist, strata = NULL, weight = NULL,
                         profile = NULL) {
  rhs <- if (length(covariates)) paste(covariates, collapse = " + ") else "1"
  if (!is.null(strata)) rhs <- paste(rhs, "+ strata(", strata, ")")
  f <- as.formula(sprintf("Surv(%s, %s) ~ %s", time, event, rhs))
  args <- list(formula = f, data = d, dist = dist)
  if (!is.null(weight)) args$weights <- d[[weight]]
  default <- do.call(survreg, args)
  args$control <- survreg.control(rel.tolerance = 1e-13, maxiter = 100)
  fit <- do.call(survreg, args)
  nd <- d[1:3, , drop = FALSE]
  pr <- predict(fit, newdata = nd, type = "quantile", p = ps, se.fit = TRUE)
  lp <- predict(fit, newdata = nd, type = "lp", se.fit = TRUE)
  scale <- fit$scale
  # S(t) and the restricted mean up to tau = 365 of the first profile (psurvreg on its own
  # linear predictor and its stratum's scale)
  times <- c(30, 100, 365, 1000)
  sc1 <- if (length(scale) > 1) scale[as.integer(factor(d[[strata]]))[1]] else scale
  s_fun <- function(t) {
    s <- 1 - psurvreg(pmax(t, 1e-300), lp_of(fit, nd)[1], sc1, dist)
    ifelse(t > 0, s, 1 - psurvreg(0, lp_of(fit, nd)[1], sc1, dist))
  }
  surv <- s_fun(times)
  rmst <- integrate(s_fun, 0, 365, rel.tol = 1e-11, subdivisions = 1000L)$value
  out <- list(name = name, time = time, event = event, covariates = covariates, dist = dist,
              strata = strata, weight = weight, data = as.list(d),
              coef = unname(coef(fit)), coef_names = names(coef(fit)),
              var = unname(fit$var), var_names = colnames(fit$var),
              se = unname(sqrt(diag(fit$var))), scale = unname(scale),
              scale_names = names(scale),
              loglik = fit$loglik, df = fit$df, iter_default = default$iter,
              coef_default = unname(coef(default)), loglik_default = default$loglik,
              aic = AIC(fit), bic = BIC(fit), n = nrow(d),
              quantile_p = ps, quantile = unname(pr$fit), quantile_se = unname(pr$se.fit),
              lp = unname(lp$fit), lp_se = unname(lp$se.fit),
              surv_times = times, surv = unname(surv), rmst_tau = 365, rmst = rmst)
  if (dist == "weibull" && is.null(strata)) {
    # SurvRegCensCov::ConvertWeibull by hand: log HR = -beta / sigma, delta method on
    # (beta, log sigma)
    k <- length(coef(fit))
    b <- coef(fit)[-1]
    sig <- fit$scale
    var <- fit$var
    hr <- c(); hr_se <- c()
    for (j in seq_along(b)) {
      g <- rep(0, k + 1)
      g[j + 1] <- -1 / sig
      g[k + 1] <- b[j] / sig
      hr <- c(hr, -b[j] / sig)
      hr_se <- c(hr_se, sqrt(drop(t(g) %*% var %*% g)))
    }
    out$log_hr <- unname(hr)
    out$log_hr_se <- unname(hr_se)
    out$shape <- 1 / sig
  }
  out
}

cases <- list()
add <- function(x) cases[[length(cases) + 1]] <<- x
dists <- c("exponential", "weibull", "lognormal", "loglogistic", "gaussian", "logistic")

lng <- lung[complete.cases(lung[, c("time", "status", "age", "sex", "ph.ecog")]),
            c("time", "status", "age", "sex", "ph.ecog")]
lng$event <- as.integer(lng$status == 2)
lng$status <- NULL
rownames(lng) <- NULL
for (dist in dists) add(survreg_case(paste0("lung_", dist), lng, "time", "event",
                                     c("age", "sex", "ph.ecog"), dist))
for (dist in c("weibull", "lognormal", "loglogistic")) {
  add(survreg_case(paste0("lung_strata_", dist), lng, "time", "event", c("age", "ph.ecog"), dist,
                   strata = "sex"))
}

ova <- ovarian[, c("futime", "fustat", "age", "resid.ds", "rx", "ecog.ps")]
for (dist in dists[1:4]) add(survreg_case(paste0("ovarian_", dist), ova, "futime", "fustat",
                                          c("age", "ecog.ps"), dist))

vet <- veteran[, c("time", "status", "trt", "celltype", "karno")]
vet$celltype <- as.character(vet$celltype)
vet$w <- vet$karno / 37
for (dist in dists[1:4]) add(survreg_case(paste0("veteran_", dist), vet, "time", "status",
                                          c("trt", "celltype", "karno"), dist))
for (dist in c("weibull", "lognormal")) {
  add(survreg_case(paste0("veteran_weights_", dist), vet, "time", "status", c("trt", "celltype"),
                   dist, weight = "w"))
}

gb <- read.csv("tests/reference/data/gbsg2.csv", stringsAsFactors = FALSE)
for (dist in dists[1:4]) add(survreg_case(paste0("gbsg2_", dist), gb, "time", "cens",
                                          c("horTh", "age", "tgrade", "pnodes"), dist))
add(survreg_case("gbsg2_strata_weibull", gb, "time", "cens", c("horTh", "pnodes"), "weibull",
                 strata = "menostat"))
add(survreg_case("gbsg2_null_weibull", gb, "time", "cens", character(0), "weibull"))

writeLines(toJSON(cases, digits = NA, auto_unbox = TRUE, null = "null", na = "null"),
           "tests/reference/r_reference_survreg.json")
