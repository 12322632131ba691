# Reference values of the residuals of a Cox fit (survstat cox_residuals).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_cox_residuals.R
# Reads tests/reference/data/gbsg2.csv and mgus2.csv and writes
# tests/reference/r_reference_cox_residuals.json: residuals(coxph(...), type=) for the
# martingale, deviance, score, schoenfeld, scaledsch, dfbeta and dfbetas types, for an Efron
# fit, a Breslow fit with strata and case weights (w = 1 + row %% 3), a robust fit, and MGUS2
# (many tied times).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
options(digits = 16)

gbsg <- read.csv("tests/reference/data/gbsg2.csv", stringsAsFactors = FALSE)
mgus <- read.csv("tests/reference/data/mgus2.csv", stringsAsFactors = FALSE)
mgus <- mgus[!is.na(mgus$hgb), ]
gbsg$w <- 1 + (seq_len(nrow(gbsg)) %% 3)
gbsg$id <- (seq_len(nrow(gbsg)) - 1) %/% 2

fits <- list(
  "gbsg2 efron" = coxph(Surv(time, cens) ~ horTh + age + tgrade, data = gbsg),
  "gbsg2 breslow strata weights" = coxph(Surv(time, cens) ~ horTh + pnodes + strata(menostat),
                                         data = gbsg, weights = w, ties = "breslow"),
  "gbsg2 robust" = coxph(Surv(time, cens) ~ age + tsize, data = gbsg, cluster = id),
  "mgus2 efron" = coxph(Surv(futime, death) ~ age + sex + hgb, data = mgus)
)
types <- c("martingale", "deviance", "score", "schoenfeld", "scaledsch", "dfbeta", "dfbetas")
cases <- list()
for (name in names(fits)) {
  for (type in types) {
    r <- residuals(fits[[name]], type = type)
    m <- if (is.matrix(r)) r else matrix(r, ncol = 1)
    cases[[length(cases) + 1]] <- list(
      name = name, type = type,
      time = if (type %in% c("schoenfeld", "scaledsch")) as.numeric(rownames(m)) else NULL,
      values = lapply(seq_len(ncol(m)), function(j) unname(m[, j])))
  }
}
write_json(cases, "tests/reference/r_reference_cox_residuals.json", digits = NA,
           auto_unbox = TRUE, pretty = FALSE)
