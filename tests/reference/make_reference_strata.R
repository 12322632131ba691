# Reference values for Cox models whose covariates are aliased by the strata, computed with R's
# survival::coxph: a covariate constant within every stratum carries no information about the
# partial likelihood, which compares subjects only within their stratum, so coxph reports its
# coefficient as NA ("not defined because of singularities").
#
# * nested_strata.csv: `region` is nested in `site` (each site lies in one region), fitted with
#   strata(site); `x` is an ordinary covariate.
# * arm_strata.csv: `arm` fitted with strata(arm); `prior_cdk46` is an ordinary covariate.
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_strata.R
# Writes tests/reference/r_reference_strata.json.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

strata_case <- function(name, file, time, event, covariates, strata, ties = "efron") {
  d <- read.csv(file.path("tests/reference/data", file), stringsAsFactors = FALSE)
  d[[event]] <- d[[event]] == "true"
  rhs <- paste(c(covariates, sprintf("strata(%s)", strata)), collapse = " + ")
  f <- as.formula(sprintf("Surv(%s, %s) ~ %s", time, event, rhs))
  fit <- coxph(f, data = d, ties = ties)
  estimable <- !is.na(coef(fit))
  s <- if (any(estimable)) summary(fit) else NULL
  list(name = name, file = file, time = time, event = event, covariates = covariates,
       strata = strata, ties = ties, terms = names(coef(fit)), coef = unname(coef(fit)),
       se = unname(sqrt(diag(fit$var))), loglik = fit$loglik, iter = fit$iter,
       df = sum(estimable),
       logtest = if (is.null(s)) NULL else unname(s$logtest),
       wald = if (is.null(s)) NULL else unname(fit$wald.test),
       score = if (is.null(s)) NULL else unname(fit$score))
}

cases <- list(
  strata_case("region_in_site", "nested_strata.csv", "t", "e", "region", "site"),
  strata_case("region_in_site_x", "nested_strata.csv", "t", "e", c("region", "x"), "site"),
  strata_case("region_in_site_x_breslow", "nested_strata.csv", "t", "e", c("region", "x"),
              "site", ties = "breslow"),
  strata_case("arm_in_arm", "arm_strata.csv", "pfs_time", "pfs_event", "arm", "arm"),
  strata_case("arm_in_arm_prior", "arm_strata.csv", "pfs_time", "pfs_event",
              c("arm", "prior_cdk46"), "arm")
)

meta <- list(R = R.version.string, survival = as.character(packageVersion("survival")),
             generated = format(Sys.Date()))
writeLines(toJSON(list(meta = meta, cases = cases), digits = NA, na = "string",
                  auto_unbox = TRUE),
           "tests/reference/r_reference_strata.json")
cat("wrote", length(cases), "coxph cases\n")
