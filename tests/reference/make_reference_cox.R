# Cox model reference values for survstat's tests, computed with R's survival::coxph.
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_cox.R
# It reads tests/reference/data/gbsg2.csv and survival's lung, veteran, pbc and aml data, and
# writes tests/reference/r_reference_cox.json.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

cox_case <- function(name, d, time, event, covariates, ties = "efron", strata = NULL,
                     weight = NULL, cluster = NULL, robust = FALSE) {
  rhs <- paste(covariates, collapse = " + ")
  if (!is.null(strata)) rhs <- paste(rhs, "+ strata(", strata, ")")
  f <- as.formula(sprintf("Surv(%s, %s) ~ %s", time, event, rhs))
  args <- list(formula = f, data = d, ties = ties, robust = robust)
  if (!is.null(weight)) args$weights <- d[[weight]]
  if (!is.null(cluster)) args$cluster <- d[[cluster]]
  fit <- do.call(coxph, args)
  s <- summary(fit)
  list(name = name, time = time, event = event, covariates = covariates, ties = ties,
       strata = strata, weight = weight, cluster = cluster, robust = robust,
       data = as.list(d), coef = unname(coef(fit)), se = unname(sqrt(diag(fit$var))),
       var = unname(fit$var), naive_var = if (is.null(fit$naive.var)) NULL else unname(fit$naive.var),
       loglik = fit$loglik, logtest = unname(s$logtest), waldtest = unname(s$waldtest),
       sctest = unname(s$sctest), wald = unname(fit$wald.test), score = unname(fit$score),
       concordance = unname(fit$concordance), n = fit$n, nevent = fit$nevent)
}

cases <- list()
gb <- read.csv("tests/reference/data/gbsg2.csv", stringsAsFactors = FALSE)
gb$id <- seq_len(nrow(gb))
for (ties in c("efron", "breslow")) {
  cases[[length(cases) + 1]] <- cox_case(paste0("gbsg2_", ties), gb, "time", "cens",
                                         c("horTh", "age", "tgrade", "pnodes"), ties = ties)
}
cases[[length(cases) + 1]] <- cox_case("gbsg2_strata_cluster", gb, "time", "cens",
                                       c("horTh", "age"), strata = "menostat", cluster = "tgrade",
                                       robust = TRUE)
cases[[length(cases) + 1]] <- cox_case("gbsg2_robust", gb, "time", "cens", c("horTh", "tsize"),
                                       robust = TRUE)
lng <- lung[complete.cases(lung[, c("time", "status", "age", "sex", "ph.ecog")]),
            c("time", "status", "age", "sex", "ph.ecog")]
lng$event <- as.integer(lng$status == 2)
lng$status <- NULL
for (ties in c("efron", "breslow")) {
  cases[[length(cases) + 1]] <- cox_case(paste0("lung_", ties), lng, "time", "event",
                                         c("age", "sex", "ph.ecog"), ties = ties)
}
vet <- veteran
vet$celltype <- as.character(vet$celltype)
vet$w <- vet$karno / 37
cases[[length(cases) + 1]] <- cox_case("veteran_weights", vet[, c("time", "status", "trt", "celltype", "w")],
                                       "time", "status", c("trt", "celltype"), weight = "w")
cases[[length(cases) + 1]] <- cox_case("veteran_weights_robust_breslow",
                                       vet[, c("time", "status", "trt", "celltype", "w")],
                                       "time", "status", c("trt", "celltype"), weight = "w",
                                       ties = "breslow", robust = TRUE)
pb <- pbc[!is.na(pbc$trt), c("time", "status", "trt", "age", "edema", "bili", "stage")]
pb <- pb[!is.na(pb$stage), ]
pb$event <- as.integer(pb$status == 2)
pb$status <- NULL
pb$logbili <- log(pb$bili)
cases[[length(cases) + 1]] <- cox_case("pbc_strata", pb, "time", "event",
                                       c("trt", "age", "edema", "logbili"), strata = "stage")
am <- aml
am$x <- as.character(am$x)
cases[[length(cases) + 1]] <- cox_case("aml_ties", am, "time", "status", "x")

meta <- list(R = R.version.string, survival = as.character(packageVersion("survival")),
             generated = format(Sys.Date()))
writeLines(toJSON(list(meta = meta, cases = cases), digits = NA, na = "string",
                  auto_unbox = TRUE),
           "tests/reference/r_reference_cox.json")
cat("wrote", length(cases), "cases\n")
