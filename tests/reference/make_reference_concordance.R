# Reference values of Harrell's concordance with its standard error (survstat concordance).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_concordance.R
# Reads tests/reference/data/gbsg2.csv and mgus2.csv (the bundled datasets) and writes
# tests/reference/r_reference_concordance.json: survival::concordance(Surv(time, status) ~
# score, ...) counts, concordance and sqrt(var) (the infinitesimal-jackknife standard error),
# for scores that predict longer survival (default) and a risk score (reverse = TRUE), with
# strata, case weights (w = 1 + row %% 3) and clusters (cluster = (row - 1) %/% 2).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
options(digits = 16)

gbsg <- read.csv("tests/reference/data/gbsg2.csv", stringsAsFactors = FALSE)
mgus <- read.csv("tests/reference/data/mgus2.csv", stringsAsFactors = FALSE)
gbsg$w <- 1 + (seq_len(nrow(gbsg)) %% 3)
gbsg$cl <- (seq_len(nrow(gbsg)) - 1) %/% 2
mgus$w <- 1 + (seq_len(nrow(mgus)) %% 3)

one <- function(name, f) {
  list(name = name, concordance = unname(f$concordance), std_error = sqrt(unname(f$var)),
       count = as.list(f$count))
}
cases <- list(
  one("gbsg2 pnodes risk", concordance(Surv(time, cens) ~ pnodes, gbsg, reverse = TRUE)),
  one("gbsg2 age", concordance(Surv(time, cens) ~ age, gbsg)),
  one("gbsg2 tsize risk strata horTh",
      concordance(Surv(time, cens) ~ tsize + strata(horTh), gbsg, reverse = TRUE)),
  one("gbsg2 progrec weights", concordance(Surv(time, cens) ~ progrec, gbsg, weights = w)),
  one("gbsg2 pnodes risk cluster",
      concordance(Surv(time, cens) ~ pnodes, gbsg, reverse = TRUE, cluster = cl)),
  one("mgus2 age risk", concordance(Surv(futime, death) ~ age, mgus, reverse = TRUE)),
  one("mgus2 age risk strata sex weights",
      concordance(Surv(futime, death) ~ age + strata(sex), mgus, reverse = TRUE, weights = w))
)
write_json(cases, "tests/reference/r_reference_concordance.json", digits = NA,
           auto_unbox = TRUE, pretty = TRUE)
