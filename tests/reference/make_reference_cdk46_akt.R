# Reference values of the CDK4/6-AKT case study (examples/cdk46_akt.toml) on its SYNTHETIC
# cohort.
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_cdk46_akt.R
# Reads tests/reference/data/cdk46_akt_cohort.csv (the bundled cdk46_akt_cohort) and writes
# tests/reference/r_reference_cdk46_akt.json. Among the patients on the CDK4/6 inhibitor
# (CDKFL == "Y"): maxstat::maxstat.test(Surv(pfs_months, pfs_event) ~ pakt_hscore,
# smethod = "LogRank", pmethod = "Lau92") (statistic, cut-point, p-value); with the groups
# low (<= cut) and high, survfit's medians (log-log interval), survdiff's statistic and p, and
# coxph(~ grp + age + visceral) (Efron). On all patients, with the group from that cut-point:
# anova(coxph(~ arm + m), coxph(~ arm * m)) for m the H-score and the group (ET alone the
# reference arm, low the reference group), and coxph(~ arm) within each group.

suppressPackageStartupMessages({
  library(survival)
  library(maxstat)
  library(jsonlite)
})
options(digits = 16)

d <- read.csv("tests/reference/data/cdk46_akt_cohort.csv", stringsAsFactors = FALSE)
cdk <- d[d$CDKFL == "Y", ]
m <- maxstat.test(Surv(pfs_months, pfs_event) ~ pakt_hscore, data = cdk, smethod = "LogRank",
                  pmethod = "Lau92", minprop = 0.1, maxprop = 0.9)
cut <- unname(m$estimate)
grp <- function(x) factor(ifelse(x <= cut, "low", "high"), levels = c("low", "high"))
cdk$grp <- grp(cdk$pakt_hscore)
d$grp <- grp(d$pakt_hscore)
d$arm <- relevel(factor(d$arm), "ET alone")

fit <- survfit(Surv(pfs_months, pfs_event) ~ grp, data = cdk, conf.type = "log-log")
med <- summary(fit)$table
sd <- survdiff(Surv(pfs_months, pfs_event) ~ grp, data = cdk)
cx <- coxph(Surv(pfs_months, pfs_event) ~ grp + age + visceral, data = cdk)
ci <- exp(confint(cx))

inter <- function(v) {
  f0 <- as.formula(sprintf("Surv(pfs_months, pfs_event) ~ arm + %s", v))
  f1 <- as.formula(sprintf("Surv(pfs_months, pfs_event) ~ arm * %s", v))
  c1 <- coxph(f1, data = d)
  a <- anova(coxph(f0, data = d), c1)
  k <- length(coef(c1))
  list(marker = v, statistic = a$Chisq[2], df = a$Df[2], p_value = a[["Pr(>|Chi|)"]][2],
       interaction_hr = unname(exp(coef(c1)[k])),
       conf_low = unname(exp(confint(c1)[k, 1])), conf_high = unname(exp(confint(c1)[k, 2])))
}
within <- function(level) {
  c1 <- coxph(Surv(pfs_months, pfs_event) ~ arm, data = d[d$grp == level, ])
  list(level = level, hazard_ratio = unname(exp(coef(c1))),
       conf_low = unname(exp(confint(c1))[1]), conf_high = unname(exp(confint(c1))[2]))
}

out <- list(
  cutpoint = list(statistic = unname(m$statistic), estimate = cut, p_value = unname(m$p.value),
                  n_low = sum(cdk$grp == "low"), n_high = sum(cdk$grp == "high")),
  medians = list(group = c("low", "high"), n = unname(med[, "records"]),
                 n_event = unname(med[, "events"]), median = unname(med[, "median"]),
                 conf_low = unname(med[, "0.95LCL"]), conf_high = unname(med[, "0.95UCL"])),
  logrank = list(statistic = sd$chisq, p_value = pchisq(sd$chisq, 1, lower.tail = FALSE)),
  cox = list(term = names(coef(cx)), hazard_ratio = unname(exp(coef(cx))),
             conf_low = unname(ci[, 1]), conf_high = unname(ci[, 2]),
             p_value = unname(summary(cx)$coefficients[, "Pr(>|z|)"])),
  interaction = list(inter("pakt_hscore"), inter("grp")),
  subgroups = list(within("low"), within("high"))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/r_reference_cdk46_akt.json")
