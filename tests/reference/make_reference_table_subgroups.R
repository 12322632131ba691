# Reference values of the subgroup table (survstat table subgroups, tern's TTE forest layout).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_table_subgroups.R
# Reads tests/reference/data/gbsg2.csv (survstat's bundled GBSG2: recurrence-free survival by
# horTh, reference "no") and writes tests/reference/r_reference_table_subgroups.json. Per case,
# for all patients and for each level of each subgroup variable (menostat, tgrade): per arm n,
# events and the Kaplan-Meier median (log-log interval); coxph (Efron) of arm within the level
# (and with strata()); per subgroup variable the likelihood-ratio test of arm x variable,
# anova(coxph(~ arm + var), coxph(~ arm * var)).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

num <- function(x) if (length(x) == 0 || is.na(x)) NA else unname(x)

block <- function(d, strata, conf_level) {
  arms <- list()
  for (a in c("no", "yes")) {
    p <- d[d$arm == a, ]
    fit <- survfit(Surv(time, event) ~ 1, data = p, conf.type = "log-log", conf.int = conf_level)
    q <- quantile(fit, probs = 0.5, conf.int = TRUE)
    arms[[a]] <- list(n = nrow(p), n_event = sum(p$event), median = num(q$quantile),
                      median_conf_low = num(q$lower), median_conf_high = num(q$upper))
  }
  rhs <- if (is.null(strata)) "arm" else paste0("arm + strata(", strata, ")")
  fit <- coxph(as.formula(paste("Surv(time, event) ~", rhs)), data = d, ties = "efron")
  z <- qnorm(0.5 + conf_level / 2)
  b <- unname(coef(fit))
  se <- unname(sqrt(diag(vcov(fit))))
  list(arms = arms, hazard_ratio = list(estimate = exp(b), std_error = se,
       conf_low = exp(b - z * se), conf_high = exp(b + z * se)))
}

make_case <- function(d, strata, subgroups, conf_level) {
  d$arm <- factor(d$arm, levels = c("no", "yes"))
  out <- list(strata = strata, subgroups = subgroups, conf_level = conf_level,
              all = block(d, strata, conf_level), subgroup = list())
  for (v in subgroups) {
    levels <- sort(unique(d[[v]]))
    per <- list()
    for (l in levels) per[[l]] <- block(d[d[[v]] == l, ], strata, conf_level)
    st <- if (is.null(strata)) "" else paste0(" + strata(", strata, ")")
    f0 <- coxph(as.formula(paste0("Surv(time, event) ~ arm + ", v, st)), data = d, ties = "efron")
    f1 <- coxph(as.formula(paste0("Surv(time, event) ~ arm * ", v, st)), data = d, ties = "efron")
    a <- anova(f0, f1)
    out$subgroup[[v]] <- list(levels = levels, per_level = per,
                              interaction = list(statistic = a$Chisq[2], df = a$Df[2],
                                                 p_value = a[["Pr(>|Chi|)"]][2]))
  }
  out
}

g <- read.csv("tests/reference/data/gbsg2.csv", stringsAsFactors = FALSE)
g <- data.frame(arm = g$horTh, time = as.numeric(g$time), event = g$cens,
                menostat = g$menostat, tgrade = as.character(g$tgrade), stringsAsFactors = FALSE)
out <- list(
  gbsg2 = make_case(g, NULL, c("menostat", "tgrade"), 0.95),
  gbsg2_strata = make_case(g, "tgrade", c("menostat"), 0.9)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE),
           "tests/reference/r_reference_table_subgroups.json")
