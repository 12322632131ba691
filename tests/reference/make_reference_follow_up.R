# Reference values of median follow-up, landmark analysis, conditional survival, milestone
# rates and RMST comparisons (survstat follow_up, landmark, conditional_survival, milestone,
# KaplanMeierResult.rmst_ratio).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_follow_up.R
# Reads tests/reference/data/gbsg2.csv and mgus2.csv (the bundled datasets) and writes
# tests/reference/r_reference_follow_up.json.
#
# - follow-up: the reverse Kaplan-Meier median, survfit(Surv(time, 1 - status) ~ group) with
#   the log-log and log intervals, and the medians of the observation times (all, censored);
# - landmark: patients with time > s, grouped by progression at or before s (mgus2: ptime with
#   pstat = 1), time from s: survfit medians, survdiff and coxph (hazard ratio, interval, Wald
#   p-value);
# - conditional survival: summary(survfit(..., subset = time > s), times = t);
# - milestones: summary(survfit(...), times = t) per arm and arm minus reference with
#   sqrt(se1^2 + se0^2), normal interval and Wald test;
# - RMST: print(fit, rmean = tau)'s restricted mean and its standard error per arm, and the
#   ratio with the delta-method interval on the log scale.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
options(digits = 16)

gbsg <- read.csv("tests/reference/data/gbsg2.csv", stringsAsFactors = FALSE)
mgus <- read.csv("tests/reference/data/mgus2.csv", stringsAsFactors = FALSE)
z <- qnorm(0.975)

med <- function(fit) {
  q <- quantile(fit, probs = 0.5, conf.int = TRUE)
  list(median = unname(q$quantile), conf_low = unname(q$lower), conf_high = unname(q$upper))
}
follow_up <- list()
for (ct in c("log-log", "log")) {
  r <- survfit(Surv(time, 1 - cens) ~ horTh, data = gbsg, conf.type = ct)
  follow_up[[length(follow_up) + 1]] <- c(
    list(data = "gbsg2", time = "time", event = "cens", by = "horTh", conf_type = ct), med(r),
    list(median_observation = unname(tapply(gbsg$time, gbsg$horTh, median)),
         median_censored = unname(tapply(gbsg$time[gbsg$cens == 0],
                                          gbsg$horTh[gbsg$cens == 0], median))))
  r <- survfit(Surv(futime, 1 - death) ~ 1, data = mgus, conf.type = ct)
  follow_up[[length(follow_up) + 1]] <- c(
    list(data = "mgus2", time = "futime", event = "death", by = NULL, conf_type = ct), med(r),
    list(median_observation = median(mgus$futime),
         median_censored = median(mgus$futime[mgus$death == 0])))
}

landmarks <- list()
for (s in c(6, 12, 24)) {
  d <- mgus[mgus$futime > s, ]
  d$group <- ifelse(d$pstat == 1 & d$ptime <= s, "reached", "not reached")
  d$t <- d$futime - s
  fit <- survfit(Surv(t, death) ~ group, data = d, conf.type = "log-log")
  sd <- survdiff(Surv(t, death) ~ group, data = d)
  cx <- coxph(Surv(t, death) ~ group, data = d)
  ci <- exp(confint(cx))
  landmarks[[length(landmarks) + 1]] <- c(
    list(landmark = s, n = as.list(table(d$group)),
         n_event = as.list(tapply(d$death, d$group, sum)),
         excluded_event = sum(mgus$futime <= s & mgus$death == 1),
         excluded_censored = sum(mgus$futime <= s & mgus$death == 0)),
    med(fit),
    list(logrank = unname(sd$chisq), hazard_ratio = unname(exp(coef(cx))),
         hr_low = unname(ci[1]), hr_high = unname(ci[2]),
         cox_p = unname(summary(cx)$coefficients[, "Pr(>|z|)"])))
}

conditional <- list()
for (s in c(365, 730)) {
  times <- c(s, 1095, 1825, 2190)
  fit <- survfit(Surv(time, cens) ~ horTh, data = gbsg, subset = time > s,
                 conf.type = "log-log")
  sm <- summary(fit, times = times, extend = TRUE)
  conditional[[length(conditional) + 1]] <- list(
    given = s, times = times, strata = as.character(sm$strata), time = sm$time,
    n_risk = sm$n.risk, survival = sm$surv, std_error = sm$std.err, conf_low = sm$lower,
    conf_high = sm$upper)
}

times <- c(365, 1095, 1825)
fit <- survfit(Surv(time, cens) ~ horTh, data = gbsg, conf.type = "log-log")
sm <- summary(fit, times = times)
s0 <- sm$surv[sm$strata == "horTh=no"]
e0 <- sm$std.err[sm$strata == "horTh=no"]
s1 <- sm$surv[sm$strata == "horTh=yes"]
e1 <- sm$std.err[sm$strata == "horTh=yes"]
se <- sqrt(e0^2 + e1^2)
milestone <- list(times = times, survival = sm$surv, std_error = sm$std.err,
                  conf_low = sm$lower, conf_high = sm$upper,
                  difference = s1 - s0, diff_se = se, diff_low = s1 - s0 - z * se,
                  diff_high = s1 - s0 + z * se,
                  p_value = 2 * pnorm(-abs((s1 - s0) / se)))

rmst <- list()
for (tau in c(1095, 1825)) {
  tab <- summary(fit, rmean = tau)$table
  m <- unname(tab[, "rmean"])
  e <- unname(tab[, "se(rmean)"])
  log_se <- sqrt((e[2] / m[2])^2 + (e[1] / m[1])^2)
  ratio <- m[2] / m[1]
  rmst[[length(rmst) + 1]] <- list(
    tau = tau, rmst = m, std_error = e, ratio = ratio, log_std_error = log_se,
    conf_low = ratio * exp(-z * log_se), conf_high = ratio * exp(z * log_se),
    p_value = 2 * pnorm(-abs(log(ratio) / log_se)))
}

out <- list(follow_up = follow_up, landmark = landmarks, conditional = conditional,
            milestone = milestone, rmst = rmst)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null"),
           "tests/reference/r_reference_follow_up.json")
