# Cox models on counting-process data, Surv(start, stop, event): reference values for
# survstat's tests, computed with R's survival::coxph (agreg.fit).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_cox_counting.R
# It reads survival's heart (time-varying transplant status), cgd (recurrent infections,
# stratified by centre) and lung (with an artificial delayed entry) data, and writes
# tests/reference/r_reference_cox_counting.json: per fit the coefficients, model and robust
# variances, log partial likelihoods, the three global tests, iterations, concordance counts
# and, for some fits, residuals(fit, type=) of every type, cox.zph(fit, transform=) for the
# km, rank and identity transforms, survfit(fit, newdata=) curves and basehaz(fit,
# centered = FALSE).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

RESIDUALS <- c("martingale", "deviance", "score", "schoenfeld", "scaledsch", "dfbeta",
               "dfbetas")

curves <- function(sf, nprofiles) {
  strata <- if (is.null(sf$strata)) rep("", length(sf$time)) else
    rep(names(sf$strata), sf$strata)
  m <- function(v) if (is.matrix(v)) v else matrix(v, ncol = 1)
  lapply(seq_len(nprofiles), function(i) list(
    strata = strata, time = sf$time, n_risk = sf$n.risk, n_event = sf$n.event,
    n_censor = sf$n.censor, surv = m(sf$surv)[, i], cumhaz = m(sf$cumhaz)[, i],
    std_err = m(sf$std.err)[, i], lower = m(sf$lower)[, i], upper = m(sf$upper)[, i]))
}

survival_curves <- function(fit, newdata) {
  sf <- survfit(fit, newdata = newdata, se.fit = TRUE)
  bh <- basehaz(fit, centered = FALSE)
  list(newdata = as.list(newdata), means = unname(fit$means),
       profiles = curves(sf, nrow(newdata)),
       basehaz_uncentered = list(time = bh$time, hazard = bh$hazard))
}

ph_tests <- function(fit) {
  lapply(c("km", "rank", "identity"), function(transform) {
    z <- cox.zph(fit, transform = transform)
    list(transform = transform, term = rownames(z$table),
         statistic = unname(z$table[, "chisq"]), df = unname(z$table[, "df"]),
         x = unname(z$x))
  })
}

cox_case <- function(name, d, entry, time, event, covariates, ties = "efron", strata = NULL,
                     weight = NULL, cluster = NULL, robust = FALSE, residuals = FALSE,
                     newdata = NULL) {
  rhs <- paste(covariates, collapse = " + ")
  if (!is.null(strata)) rhs <- paste(rhs, "+ strata(", strata, ")")
  f <- as.formula(sprintf("Surv(%s, %s, %s) ~ %s", entry, time, event, rhs))
  args <- list(formula = f, data = d, ties = ties, robust = robust)
  if (!is.null(weight)) args$weights <- d[[weight]]
  if (!is.null(cluster)) args$cluster <- d[[cluster]]
  fit <- do.call(coxph, args)
  s <- summary(fit)
  res <- NULL
  if (residuals) {
    res <- lapply(RESIDUALS, function(type) {
      r <- residuals(fit, type = type)
      m <- if (is.matrix(r)) r else matrix(r, ncol = 1)
      list(type = type,
           time = if (type %in% c("schoenfeld", "scaledsch")) as.numeric(rownames(m)) else NULL,
           values = lapply(seq_len(ncol(m)), function(j) unname(m[, j])))
    })
  }
  list(name = name, entry = entry, time = time, event = event, covariates = covariates,
       ties = ties, strata = strata, weight = weight, cluster = cluster, robust = robust,
       data = as.list(d), coef = unname(coef(fit)), se = unname(sqrt(diag(fit$var))),
       var = unname(fit$var),
       naive_var = if (is.null(fit$naive.var)) NULL else unname(fit$naive.var),
       loglik = fit$loglik, logtest = unname(s$logtest), wald = unname(fit$wald.test),
       score = unname(fit$score), iter = fit$iter, concordance = unname(fit$concordance),
       n = fit$n, nevent = fit$nevent, residuals = res,
       curves = if (is.null(newdata)) NULL else survival_curves(fit, newdata),
       zph = if (residuals) ph_tests(fit) else NULL)
}

cases <- list()
add <- function(case) cases[[length(cases) + 1]] <<- case

# Stanford heart transplant: transplant status changes over follow-up (two rows per subject
# transplanted), ids as clusters
hrt <- heart
hrt$transplant <- as.integer(as.character(hrt$transplant))
hrt$w <- 1 + (hrt$id %% 3)
covs <- c("age", "year", "surgery", "transplant")
add(cox_case("heart_efron", hrt, "start", "stop", "event", covs, residuals = TRUE,
             newdata = data.frame(age = c(-5, 10), year = c(2, 4), surgery = c(0, 1),
                                  transplant = c(1, 0))))
add(cox_case("heart_breslow", hrt, "start", "stop", "event", covs, ties = "breslow",
             residuals = TRUE))
add(cox_case("heart_cluster", hrt, "start", "stop", "event", covs, cluster = "id",
             robust = TRUE, newdata = data.frame(age = 0, year = 3, surgery = 0,
                                                 transplant = 1)))
add(cox_case("heart_weights", hrt, "start", "stop", "event", covs, weight = "w"))

# chronic granulomatous disease: recurrent infections, stratified by centre, ids as clusters
cg <- cgd[, c("id", "tstart", "tstop", "status", "treat", "sex", "age", "center")]
cg$treat <- as.integer(cg$treat == "rIFN-g")
cg$sex <- as.integer(cg$sex == "female")
cg$center <- as.character(cg$center)
cg$w <- 0.5 + (cg$id %% 4) / 4
add(cox_case("cgd_strata_cluster", cg, "tstart", "tstop", "status", c("treat", "sex", "age"),
             strata = "center", cluster = "id", robust = TRUE, residuals = TRUE,
             newdata = data.frame(treat = 1, sex = 0, age = 20)))
add(cox_case("cgd_breslow_weights_cluster", cg, "tstart", "tstop", "status",
             c("treat", "sex", "age"), ties = "breslow", weight = "w", cluster = "id",
             robust = TRUE))

# lung with a delayed entry: one row per subject, entering at 0, 1/5, 2/5 or 3/5 of its time
lng <- lung[complete.cases(lung[, c("time", "status", "age", "sex", "ph.ecog")]),
            c("time", "status", "age", "sex", "ph.ecog")]
lng$event <- as.integer(lng$status == 2)
lng$status <- NULL
lng$entry <- floor(lng$time * ((seq_len(nrow(lng)) %% 4) / 5))
for (ties in c("efron", "breslow")) {
  add(cox_case(paste0("lung_entry_", ties), lng, "entry", "time", "event",
               c("age", "sex", "ph.ecog"), ties = ties, residuals = ties == "efron",
               newdata = data.frame(age = 60, sex = 2, ph.ecog = 1)))
}

meta <- list(R = R.version.string, survival = as.character(packageVersion("survival")),
             generated = format(Sys.Date()))
writeLines(toJSON(list(meta = meta, cases = cases), digits = NA, na = "string",
                  auto_unbox = TRUE),
           "tests/reference/r_reference_cox_counting.json")
cat("wrote", length(cases), "cases\n")
