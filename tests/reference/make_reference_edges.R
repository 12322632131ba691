# Reference values for the edges of survstat's Cox and Fine-Gray fits, computed with R's
# survival::coxph and cmprsk::crr: aliased (linearly dependent) covariates, a constant column, a
# factor level with no rows, monotone likelihoods (separation) and covariates on a huge scale.
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_edges.R
# Writes tests/reference/r_reference_edges.json.
#
# coxph reports an aliased coefficient as NA ("not defined because of singularities") and
# warns "Loglik converged before variable k; coefficient may be infinite" for a monotone
# likelihood; both are recorded here, with the warnings. crr stops with "system is
# computationally singular" on aliased columns, so its reference for those cases is the fit on
# the design without them, which is what coxph's rule gives for the other terms.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

warnings_of <- function(expr) {
  caught <- character(0)
  value <- withCallingHandlers(expr, warning = function(w) {
    caught <<- c(caught, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  list(value = value, warnings = caught)
}

cox_case <- function(name, d, covariates, ties = "efron", weight = NULL, cluster = NULL,
                     levels = NULL) {
  f <- as.formula(paste("Surv(time, event) ~", paste(covariates, collapse = " + ")))
  args <- list(formula = f, data = d, ties = ties)
  if (!is.null(weight)) args$weights <- d[[weight]]
  if (!is.null(cluster)) args$cluster <- d[[cluster]]
  got <- warnings_of(do.call(coxph, args))
  fit <- got$value
  s <- summary(fit)
  d_out <- d
  for (col in names(d_out)) if (is.factor(d_out[[col]])) d_out[[col]] <- as.character(d_out[[col]])
  list(name = name, covariates = covariates, ties = ties, weight = weight, cluster = cluster,
       levels = levels, data = as.list(d_out), terms = names(coef(fit)),
       coef = unname(coef(fit)), se = unname(sqrt(diag(fit$var))), var = unname(fit$var),
       loglik = fit$loglik, iter = fit$iter, logtest = unname(s$logtest),
       wald = unname(fit$wald.test), score = unname(fit$score), df = sum(!is.na(coef(fit))),
       warnings = got$warnings, nevent = fit$nevent)
}

crr_case <- function(name, d, covariates, fitted = covariates, failcode = 1) {
  mm <- model.matrix(as.formula(paste("~", paste(fitted, collapse = " + "))), d)[, -1, drop = FALSE]
  fit <- crr(d$time, d$cause, mm, failcode = failcode, cencode = 0)
  list(name = name, covariates = covariates, fitted_terms = colnames(mm), failcode = failcode,
       data = as.list(d), coef = unname(fit$coef), var = unname(fit$var), loglik = fit$loglik,
       loglik_null = fit$loglik.null, converged = fit$converged)
}

set.seed(20240611)
n <- 60
d <- data.frame(time = round(rexp(n, 0.1), 2), event = rbinom(n, 1, 0.7),
                a = round(rnorm(n), 3), b = round(rnorm(n), 3))
d$dup <- d$a
d$s <- d$a + d$b
d$one <- 1
d$w <- sample(1:3, n, TRUE)
d$id <- rep(1:20, 3)
d$f <- factor(sample(c("A", "B", "D"), n, TRUE), levels = c("A", "B", "C", "D"))
# separation: x = 1 holds every event before time 5, x = 0 none of them
d$x <- as.integer(d$time < 5)
d$x[d$time < 5 & d$event == 0] <- 0L
d$big <- d$a * 1e100

cox_cases <- list(
  cox_case("duplicated", d, c("a", "dup", "b")),
  cox_case("sum_last", d, c("a", "b", "s")),
  cox_case("sum_first", d, c("s", "a", "b")),
  cox_case("constant", d, c("a", "one")),
  cox_case("empty_level", d, c("f", "a"), levels = c("A", "B", "C", "D")),
  cox_case("duplicated_breslow_weights_cluster", d, c("a", "dup", "b"), ties = "breslow",
           weight = "w", cluster = "id"),
  cox_case("separation", d, c("x", "a")),
  cox_case("separation_breslow", d, c("x", "a"), ties = "breslow"),
  cox_case("scale_1e100", d, c("big", "b"))
)

# competing risks: cause 1 and 2, 0 = censored
dc <- d[, c("time", "a", "b", "dup", "s", "one", "f", "big")]
dc$cause <- ifelse(d$event == 0, 0L, sample(1:2, n, TRUE))
dc$f <- as.character(dc$f)
dc$x <- as.integer(dc$cause == 1 & dc$time < 8)
crr_cases <- list(
  crr_case("duplicated", dc, c("a", "dup", "b"), c("a", "b")),
  crr_case("sum_last", dc, c("a", "b", "s"), c("a", "b")),
  crr_case("constant", dc, c("a", "one"), c("a")),
  crr_case("empty_level", dc, c("f", "a")),
  crr_case("separation", dc, c("x", "a")),
  # crr itself stops as singular on `big` (a * 1e100): its reference is the fit on `a`
  crr_case("scale_1e100", dc, c("big", "b"), c("a", "b"))
)

meta <- list(R = R.version.string, survival = as.character(packageVersion("survival")),
             cmprsk = as.character(packageVersion("cmprsk")), generated = format(Sys.Date()))
writeLines(toJSON(list(meta = meta, cox = cox_cases, crr = crr_cases), digits = NA,
                  na = "string", auto_unbox = TRUE),
           "tests/reference/r_reference_edges.json")
cat("wrote", length(cox_cases), "coxph and", length(crr_cases), "crr cases\n")
