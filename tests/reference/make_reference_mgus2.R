# The bundled competing-risks dataset mgus2 and reference values computed on it with cmprsk.
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_mgus2.R
# It writes tests/reference/data/mgus2.csv (R survival's mgus2 with the competing-risks
# outcome of the survival package's "compete" vignette: etime = time to progression to a
# plasma cell malignancy (PCM) or, without one, to death or last contact; event 0 = censored,
# 1 = PCM, 2 = death before PCM) and tests/reference/r_reference_mgus2.json (cmprsk::cuminc by
# sex: every estimate and variance at every distinct time, timepoints at 5, 10, 20 and 30 years,
# Gray's test, and crr for progression on sex and age). survstat's bundled mgus2.parquet is this CSV.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

d <- survival::mgus2
d$etime <- ifelse(d$pstat == 0, d$futime, d$ptime)
d$event <- ifelse(d$pstat == 0, 2 * d$death, 1)
d$sex <- as.character(d$sex)
write.csv(d, "tests/reference/data/mgus2.csv", row.names = FALSE, na = "")

fit <- cuminc(d$etime, d$event, d$sex)
curves <- fit[names(fit) != "Tests"]
months <- c(60, 120, 240, 360)
out <- list()
for (nm in names(curves)) {
  parts <- strsplit(nm, " ")[[1]]
  who <- d$sex == parts[1]
  tt <- sort(unique(d$etime[who]))
  tp <- timepoints(curves[nm], tt)
  tq <- timepoints(curves[nm], months)
  out[[length(out) + 1]] <- list(
    sex = parts[1], cause = as.integer(parts[2]), time = tt,
    est = unname(tp$est[1, ]), var = unname(tp$var[1, ]),
    at_time = months, at_est = unname(tq$est[1, ]), at_var = unname(tq$var[1, ])
  )
}
tests <- fit$Tests
cov <- cbind(sexM = as.numeric(d$sex == "M"), age = d$age)
fg <- crr(d$etime, d$event, cov1 = cov, failcode = 1, cencode = 0)
res <- list(
  r_version = R.version.string,
  cmprsk_version = as.character(packageVersion("cmprsk")),
  survival_version = as.character(packageVersion("survival")),
  curves = out,
  gray = list(cause = as.integer(rownames(tests)), statistic = unname(tests[, "stat"]),
              p_value = unname(tests[, "pv"]), df = unname(tests[, "df"])),
  crr = list(terms = colnames(cov), coef = unname(fg$coef), var = unname(as.vector(fg$var)),
             loglik = fg$loglik, loglik_null = fg$loglik.null)
)
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = FALSE),
           "tests/reference/r_reference_mgus2.json")
