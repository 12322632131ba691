# Reference values of the time-to-event summary table (survstat table tte, TTET01 layout).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_table_tte.R
# Reads tests/reference/data/gbsg2.csv (survstat's bundled GBSG2: recurrence-free survival by
# horTh, strata tgrade) and tests/reference/data/subgroups.csv (a seeded three-arm example: arm,
# pfs_time, pfs_event, site) and writes tests/reference/r_reference_table_tte.json. Per case and
# arm: counts, range of follow-up (and whether its ends are censored), quantile.survfit
# quartiles with their limits, summary(fit, times=, extend=TRUE) at each timepoint, the rate
# difference against the reference arm with the normal interval of tern's s_surv_timepoint_diff,
# and on the reference arm plus that arm alone coxph (Efron; and with strata()) and survdiff
# (and with strata()).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

num <- function(x) if (length(x) == 0 || is.na(x)) NA else unname(x)

arm_summary <- function(d, tp, conf_type, conf_level) {
  fit <- survfit(Surv(time, event) ~ 1, data = d, conf.type = conf_type, conf.int = conf_level)
  q <- quantile(fit, probs = c(0.25, 0.5, 0.75), conf.int = TRUE)
  quart <- function(i) list(estimate = num(q$quantile[i]), conf_low = num(q$lower[i]),
                            conf_high = num(q$upper[i]))
  s <- summary(fit, times = tp, extend = TRUE)
  rates <- lapply(seq_along(tp), function(i) list(
    time = tp[i], n_risk = s$n.risk[i], estimate = s$surv[i], std_error = s$std.err[i],
    conf_low = s$lower[i], conf_high = s$upper[i]))
  list(
    n = nrow(d), n_event = sum(d$event), n_censor = sum(1 - d$event),
    median = quart(2), q1 = quart(1), q3 = quart(3),
    min_time = min(d$time), max_time = max(d$time),
    min_censored = !any(d$event[d$time == min(d$time)] == 1),
    max_censored = !any(d$event[d$time == max(d$time)] == 1),
    rates = rates
  )
}

compare <- function(d, ref, arm, strata, conf_level) {
  p <- d[d$arm %in% c(ref, arm), ]
  p$arm <- factor(p$arm, levels = c(ref, arm))
  z <- qnorm(0.5 + conf_level / 2)
  out <- list()
  for (st in c("", if (!is.null(strata)) "_stratified")) {
    rhs <- if (st == "") "arm" else paste0("arm + strata(", strata, ")")
    fit <- coxph(as.formula(paste("Surv(time, event) ~", rhs)), data = p, ties = "efron")
    b <- unname(coef(fit))
    se <- unname(sqrt(diag(vcov(fit))))
    out[[paste0("hazard_ratio", st)]] <- list(
      estimate = exp(b), std_error = se, conf_low = exp(b - z * se), conf_high = exp(b + z * se))
    lr <- survdiff(as.formula(paste("Surv(time, event) ~", rhs)), data = p)
    out[[paste0("logrank_p_value", st)]] <- pchisq(lr$chisq, 1, lower.tail = FALSE)
  }
  out
}

make_case <- function(d, ref, strata, tp, conf_type, conf_level) {
  arms <- sort(unique(d$arm))
  per <- lapply(arms, function(a) arm_summary(d[d$arm == a, ], tp, conf_type, conf_level))
  names(per) <- arms
  z <- qnorm(0.5 + conf_level / 2)
  for (a in setdiff(arms, ref)) {
    diffs <- lapply(seq_along(tp), function(i) {
      x <- per[[a]]$rates[[i]]
      r <- per[[ref]]$rates[[i]]
      if (x$n_risk == 0 || r$n_risk == 0) return(list(time = tp[i], estimate = NA))
      est <- x$estimate - r$estimate
      se <- sqrt(x$std_error^2 + r$std_error^2)
      list(time = tp[i], estimate = est, std_error = se, conf_low = est - z * se,
           conf_high = est + z * se)
    })
    per[[a]]$event_free_rate_difference <- diffs
    per[[a]] <- c(per[[a]], compare(d, ref, a, strata, conf_level))
  }
  list(reference = ref, strata = strata, timepoints = tp, conf_type = conf_type,
       conf_level = conf_level, arms = per)
}

gb <- read.csv("tests/reference/data/gbsg2.csv", stringsAsFactors = FALSE)
gb <- data.frame(arm = gb$horTh, time = gb$time, event = gb$cens, tgrade = gb$tgrade)
sg <- read.csv("tests/reference/data/subgroups.csv", stringsAsFactors = FALSE)
sg <- data.frame(arm = sg$arm, time = sg$pfs_time, event = sg$pfs_event, site = sg$site)

out <- list(
  gbsg2_loglog = make_case(gb, "no", "tgrade", c(365, 730, 1825, 2600), "log-log", 0.95),
  gbsg2_plain = make_case(gb, "no", "tgrade", c(365, 730, 1825), "plain", 0.9),
  three_arm_log = make_case(sg, "A", "site", c(90, 180, 365, 1200), "log", 0.95)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           "tests/reference/r_reference_table_tte.json")
