# Reference values of the proportional-hazards test after a Cox fit (survstat cox_zph).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_cox_zph.R
# Reads tests/reference/data/gbsg2.csv and mgus2.csv and writes
# tests/reference/r_reference_cox_zph.json: cox.zph(fit, transform=, terms=)$table (chisq,
# df, p per term and GLOBAL) for Efron and Breslow fits, strata, case weights
# (w = 1 + row %% 3) and the km, rank, identity and log transforms.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
options(digits = 16)

gbsg <- read.csv("tests/reference/data/gbsg2.csv", stringsAsFactors = FALSE)
mgus <- read.csv("tests/reference/data/mgus2.csv", stringsAsFactors = FALSE)
gbsg$w <- 1 + (seq_len(nrow(gbsg)) %% 3)

fits <- list(
  "gbsg2 efron" = coxph(Surv(time, cens) ~ horTh + age + tgrade, data = gbsg),
  "gbsg2 breslow strata weights" = coxph(Surv(time, cens) ~ horTh + pnodes + strata(menostat),
                                         data = gbsg, weights = w, ties = "breslow"),
  "mgus2 efron" = coxph(Surv(futime, death) ~ age + sex + hgb, data = mgus)
)
cases <- list()
for (name in names(fits)) {
  for (transform in c("km", "rank", "identity", "log")) {
    for (terms in c(TRUE, FALSE)) {
      z <- cox.zph(fits[[name]], transform = transform, terms = terms)
      cases[[length(cases) + 1]] <- list(
        name = name, transform = transform, terms = terms, term = rownames(z$table),
        statistic = unname(z$table[, "chisq"]), df = unname(z$table[, "df"]),
        p_value = unname(z$table[, "p"]))
    }
  }
}
write_json(cases, "tests/reference/r_reference_cox_zph.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
