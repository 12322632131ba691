# Biomarker-subgroup analysis for survstat's tests: the treatment-by-biomarker interaction
# (likelihood-ratio test of arm:high in coxph) and the hazard ratios within each subgroup.
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_subgroups.R
# Reads tests/reference/data/subgroups.csv (a seeded three-arm example: arm, pfs_time,
# pfs_event, site, pakt) and writes tests/reference/r_reference_subgroups.json.

suppressPackageStartupMessages(library(survival))
suppressPackageStartupMessages(library(jsonlite))

d <- read.csv("tests/reference/data/subgroups.csv")
cut <- median(d$pakt)
d$high <- as.numeric(d$pakt > cut)
out <- list(cutpoint = cut)
for (st in c("none", "site")) {
  rhs0 <- if (st == "site") "arm + high + strata(site)" else "arm + high"
  rhs1 <- if (st == "site") "arm * high + strata(site)" else "arm * high"
  f0 <- coxph(as.formula(paste("Surv(pfs_time, pfs_event) ~", rhs0)), data = d)
  f1 <- coxph(as.formula(paste("Surv(pfs_time, pfs_event) ~", rhs1)), data = d)
  stat <- 2 * (f1$loglik[2] - f0$loglik[2])
  hr <- list()
  for (g in c(0, 1)) {
    rhs <- if (st == "site") "arm + strata(site)" else "arm"
    fit <- coxph(as.formula(paste("Surv(pfs_time, pfs_event) ~", rhs)), data = d[d$high == g, ])
    ci <- summary(fit)$conf.int
    hr[[if (g == 1) "high" else "low"]] <- list(
      hazard_ratio = unname(exp(coef(fit))), conf_low = unname(ci[, 3]), conf_high = unname(ci[, 4]))
  }
  out[[st]] <- list(statistic = stat, df = 2, p_value = pchisq(stat, 2, lower.tail = FALSE), hr = hr)
}
# Arm C only in the low subgroup (its biomarker set to -10, cut-point 0): the arm C x high
# interaction term is aliased (NA), so anova() tests 1 df, not 2; within the high subgroup only
# A and B are compared.
d2 <- d
d2$pakt[d2$arm == "C"] <- -10
d2$high <- as.numeric(d2$pakt > 0)
out$absent_arm <- list(cutpoint = 0)
for (st in c("none", "site")) {
  rhs0 <- if (st == "site") "arm + high + strata(site)" else "arm + high"
  rhs1 <- if (st == "site") "arm * high + strata(site)" else "arm * high"
  f0 <- coxph(as.formula(paste("Surv(pfs_time, pfs_event) ~", rhs0)), data = d2)
  f1 <- coxph(as.formula(paste("Surv(pfs_time, pfs_event) ~", rhs1)), data = d2)
  a <- anova(f0, f1)
  hr <- list()
  for (g in c(0, 1)) {
    rhs <- if (st == "site") "arm + strata(site)" else "arm"
    sub <- d2[d2$high == g, ]
    sub$arm <- factor(sub$arm)
    fit <- coxph(as.formula(paste("Surv(pfs_time, pfs_event) ~", rhs)), data = sub)
    ci <- summary(fit)$conf.int
    hr[[if (g == 1) "high" else "low"]] <- list(
      hazard_ratio = unname(exp(coef(fit))), conf_low = unname(ci[, 3]), conf_high = unname(ci[, 4]))
  }
  out$absent_arm[[st]] <- list(
    statistic = a$Chisq[2], df = a$Df[2], p_value = a[["Pr(>|Chi|)"]][2],
    aliased = names(coef(f1))[is.na(coef(f1))], hr = hr)
}
out$meta <- list(R = R.version.string, survival = as.character(packageVersion("survival")))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), "tests/reference/r_reference_subgroups.json")
