# Fine-Gray reference values for survstat's tests, computed with R's cmprsk::crr.
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_fg.R
# Writes tests/reference/r_reference_fg.json.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

fg_case <- function(name, d, time, cause, covariates, failcode = 1) {
  mm <- model.matrix(as.formula(paste("~", paste(covariates, collapse = " + "))), d)[, -1, drop = FALSE]
  fit <- crr(d[[time]], d[[cause]], mm, failcode = failcode, cencode = 0)
  pred <- predict(fit, cov1 = matrix(colMeans(mm), nrow = 1))
  list(name = name, time = time, cause = cause, covariates = covariates, failcode = failcode,
       data = as.list(d), terms = colnames(mm), coef = unname(fit$coef),
       var = unname(fit$var), loglik = fit$loglik, converged = fit$converged,
       pred_time = unname(pred[, 1]), pred_cif = unname(pred[, 2]), profile = unname(colMeans(mm)))
}

cases <- list()
bmt <- read.csv("tests/reference/data/bmt.csv")
cases[[length(cases) + 1]] <- fg_case("bmt_dis", bmt, "ftime", "status", "dis")
cases[[length(cases) + 1]] <- fg_case("bmt_dis_trm", bmt, "ftime", "status", "dis", failcode = 2)
cgvhd <- read.csv("tests/reference/data/cgvhd.csv", stringsAsFactors = FALSE)
cases[[length(cases) + 1]] <- fg_case("cgvhd", cgvhd, "ftime", "status", c("dx", "tx", "age"))
pb <- pbc[!is.na(pbc$trt), c("time", "status", "trt", "age", "bili")]
pb$trt <- as.integer(pb$trt)
cases[[length(cases) + 1]] <- fg_case("pbc_death", pb, "time", "status", c("trt", "age", "bili"),
                                      failcode = 2)
cases[[length(cases) + 1]] <- fg_case("pbc_transplant", pb, "time", "status", c("age", "bili"))

meta <- list(R = R.version.string, cmprsk = as.character(packageVersion("cmprsk")),
             generated = format(Sys.Date()))
writeLines(toJSON(list(meta = meta, cases = cases), digits = NA, na = "string",
                  auto_unbox = TRUE),
           "tests/reference/r_reference_fg.json")
cat("wrote", length(cases), "cases\n")
