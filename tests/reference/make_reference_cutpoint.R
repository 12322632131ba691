# Reference values of maximally selected log-rank statistics (survstat cutpoint).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_cutpoint.R
# Reads tests/reference/data/gbsg2.csv and mgus2.csv (the bundled datasets) and writes
# tests/reference/r_reference_cutpoint.json: maxstat::maxstat.test(Surv(time, event) ~ marker,
# smethod = "LogRank", pmethod = "Lau92" or "Lau94", minprop, maxprop): the statistic, the
# estimated cut-point, the p-value and every split's statistic (cuts, stats); and, for the
# groups marker <= cut against > cut, coxph's hazard ratio (high vs low) with its interval.

suppressPackageStartupMessages({
  library(survival)
  library(maxstat)
  library(jsonlite)
})
options(digits = 16)

gbsg <- read.csv("tests/reference/data/gbsg2.csv", stringsAsFactors = FALSE)
mgus <- read.csv("tests/reference/data/mgus2.csv", stringsAsFactors = FALSE)

one <- function(name, d, time, event, marker, pmethod, minprop = 0.1, maxprop = 0.9) {
  d <- d[!is.na(d[[marker]]), ]
  f <- as.formula(sprintf("Surv(%s, %s) ~ %s", time, event, marker))
  m <- maxstat.test(f, data = d, smethod = "LogRank", pmethod = pmethod,
                    minprop = minprop, maxprop = maxprop)
  d$grp <- factor(ifelse(d[[marker]] <= m$estimate, "low", "high"), levels = c("low", "high"))
  cx <- coxph(as.formula(sprintf("Surv(%s, %s) ~ grp", time, event)), data = d)
  ci <- exp(confint(cx))
  list(name = name, data = name_of(d), time = time, event = event, marker = marker,
       pmethod = pmethod, minprop = minprop, maxprop = maxprop,
       statistic = unname(m$statistic), estimate = unname(m$estimate),
       p_value = unname(m$p.value), cuts = unname(m$cuts), stats = unname(m$stats),
       n_low = sum(d$grp == "low"), hazard_ratio = unname(exp(coef(cx))),
       conf_low = unname(ci[1]), conf_high = unname(ci[2]))
}
name_of <- function(d) if ("pnodes" %in% names(d)) "gbsg2" else "mgus2"

cases <- list(
  one("gbsg2 pnodes Lau92", gbsg, "time", "cens", "pnodes", "Lau92"),
  one("gbsg2 pnodes Lau94", gbsg, "time", "cens", "pnodes", "Lau94"),
  one("gbsg2 age Lau92", gbsg, "time", "cens", "age", "Lau92"),
  one("gbsg2 progrec Lau94 0.2-0.8", gbsg, "time", "cens", "progrec", "Lau94", 0.2, 0.8),
  one("gbsg2 tsize Lau92 0.25-0.75", gbsg, "time", "cens", "tsize", "Lau92", 0.25, 0.75),
  one("mgus2 hgb Lau92", mgus, "futime", "death", "hgb", "Lau92"),
  one("mgus2 creat Lau94", mgus, "futime", "death", "creat", "Lau94"),
  one("mgus2 age Lau94 0-1", mgus, "futime", "death", "age", "Lau94", 0, 1)
)
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA),
           "tests/reference/r_reference_cutpoint.json")
