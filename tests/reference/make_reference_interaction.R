# Reference values of treatment-by-biomarker interaction tests across a panel (survstat
# interaction_tests).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_interaction.R
# Reads tests/reference/data/gbsg2.csv and mgus2.csv (the bundled datasets) and writes
# tests/reference/r_reference_interaction.json: for each marker, on the rows with a value,
# anova(coxph(Surv(time, event) ~ trt + marker), coxph(... ~ trt * marker)): the likelihood-ratio
# statistic, df and p-value; the interaction's exp(coef) and Wald interval when it is one
# coefficient; and p.adjust(p, "holm") and p.adjust(p, "BH") across the panel.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
options(digits = 16)

gbsg <- read.csv("tests/reference/data/gbsg2.csv", stringsAsFactors = FALSE)
mgus <- read.csv("tests/reference/data/mgus2.csv", stringsAsFactors = FALSE)

panel <- function(name, d, time, event, trt, markers, ref = NULL) {
  if (!is.null(ref)) d[[trt]] <- relevel(factor(d[[trt]]), ref) else d[[trt]] <- factor(d[[trt]])
  rows <- lapply(markers, function(m) {
    x <- d[!is.na(d[[m]]), ]
    if (is.character(x[[m]])) x[[m]] <- factor(x[[m]])
    f0 <- as.formula(sprintf("Surv(%s, %s) ~ %s + %s", time, event, trt, m))
    f1 <- as.formula(sprintf("Surv(%s, %s) ~ %s * %s", time, event, trt, m))
    c0 <- coxph(f0, data = x)
    c1 <- coxph(f1, data = x)
    a <- anova(c0, c1)
    inter <- grep(":", names(coef(c1)))
    hr <- low <- high <- NULL
    if (length(inter) == 1) {
      ci <- exp(confint(c1))[inter, ]
      hr <- unname(exp(coef(c1)[inter])); low <- unname(ci[1]); high <- unname(ci[2])
    }
    list(marker = m, n = nrow(x), n_event = sum(x[[event]]), statistic = a$Chisq[2],
         df = a$Df[2], p_value = a$`Pr(>|Chi|)`[2], interaction_hr = hr, conf_low = low,
         conf_high = high)
  })
  p <- sapply(rows, function(r) r$p_value)
  list(name = name, treatment = trt, reference = ref, markers = markers, rows = rows,
       p_holm = p.adjust(p, "holm"), p_bh = p.adjust(p, "BH"))
}

cases <- list(
  panel("gbsg2", gbsg, "time", "cens", "horTh",
        c("age", "pnodes", "tsize", "progrec", "estrec", "menostat", "tgrade")),
  panel("mgus2", mgus, "futime", "death", "sex", c("age", "hgb", "creat", "mspike"), ref = "M")
)
# p.adjust on its own: ties, a p-value of 1 and values that cross after scaling
p <- c(0.01, 0.04, 0.04, 0.2, 0.03, 1, 0.005)
out <- list(cases = cases, p_adjust = list(p = p, holm = p.adjust(p, "holm"),
                                           bh = p.adjust(p, "BH")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null"),
           "tests/reference/r_reference_interaction.json")
