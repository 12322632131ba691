# Competing-risks reference values for survstat's tests, computed with R's cmprsk package.
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_cr.R
# It reads tests/reference/data/{bmt,cgvhd}.csv (exported from scikit-survival's copies of these
# datasets) and survival's pbc, and writes tests/reference/r_reference_cr.json.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

cif_case <- function(name, d, time, cause, by = NULL, strata = NULL, times = NULL) {
  g <- if (is.null(by)) rep(1, nrow(d)) else d[[by]]
  fit <- if (is.null(strata)) cuminc(d[[time]], d[[cause]], g)
         else cuminc(d[[time]], d[[cause]], g, strata = d[[strata]])
  curves <- fit[names(fit) != "Tests"]
  out <- list()
  for (nm in names(curves)) {
    parts <- strsplit(nm, " ")[[1]]
    grp <- parts[1]; cs <- parts[2]
    who <- if (is.null(by)) rep(TRUE, nrow(d)) else as.character(d[[by]]) == grp
    tt <- sort(unique(d[[time]][who]))
    tp <- timepoints(curves[nm], tt)
    out[[length(out) + 1]] <- list(group = grp, cause = cs, time = tt,
                                   est = unname(tp$est[1, ]), var = unname(tp$var[1, ]))
    if (!is.null(times)) {
      tq <- timepoints(curves[nm], times)
      out[[length(out)]]$at_time <- times
      out[[length(out)]]$at_est <- unname(tq$est[1, ])
      out[[length(out)]]$at_var <- unname(tq$var[1, ])
    }
  }
  res <- list(name = name, time = time, cause = cause, by = by, strata = strata,
              data = as.list(d), curves = out)
  if (!is.null(by)) {
    tests <- list()
    for (rho in c(0, 1)) {
      f2 <- if (is.null(strata)) cuminc(d[[time]], d[[cause]], g, rho = rho)
            else cuminc(d[[time]], d[[cause]], g, strata = d[[strata]], rho = rho)
      tb <- f2$Tests
      tests[[sprintf("%s", rho)]] <- list(cause = rownames(tb), stat = unname(tb[, "stat"]),
                                           df = unname(tb[, "df"]),
                                           p = pchisq(unname(tb[, "stat"]), unname(tb[, "df"]),
                                                      lower.tail = FALSE))
    }
    res$tests <- tests
  }
  res
}

cases <- list()
pb <- pbc[!is.na(pbc$trt), c("time", "status", "trt", "sex", "stage")]
pb$trt <- as.integer(pb$trt)
pb <- pb[!is.na(pb$stage), ]
cases[[length(cases) + 1]] <- cif_case("pbc_all", pb, "time", "status", times = c(0, 1000, 3000, 5000))
cases[[length(cases) + 1]] <- cif_case("pbc_trt", pb, "time", "status", by = "trt",
                                       times = c(500, 2000, 4000))
cases[[length(cases) + 1]] <- cif_case("pbc_trt_by_sex", pb, "time", "status", by = "trt",
                                       strata = "sex")
bmt <- read.csv("tests/reference/data/bmt.csv")
cases[[length(cases) + 1]] <- cif_case("bmt_dis", bmt, "ftime", "status", by = "dis",
                                       times = c(0, 10, 50, 100))
cgvhd <- read.csv("tests/reference/data/cgvhd.csv", stringsAsFactors = FALSE)
cases[[length(cases) + 1]] <- cif_case("cgvhd_dx", cgvhd, "ftime", "status", by = "dx",
                                       times = c(0.5, 1, 2))
cases[[length(cases) + 1]] <- cif_case("cgvhd_tx_by_extent", cgvhd, "ftime", "status", by = "tx",
                                       strata = "extent")
# ties between causes and with censorings, events at time 0, three groups
tie <- data.frame(t = c(0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9),
                  c = c(1, 0, 1, 2, 0, 2, 2, 1, 1, 0, 2, 1, 0, 2, 1, 2, 0, 1),
                  g = c("a", "b", "c", "a", "b", "c", "a", "b", "c", "a", "b", "c", "a", "b",
                        "c", "a", "b", "c"))
cases[[length(cases) + 1]] <- cif_case("ties", tie, "t", "c", by = "g", times = c(0, 1, 4.5, 20))

# --- Aalen-Johansen with case weights and delayed entry: R survfit multi-state curves, whose
# standard errors are the infinitesimal jackknife --------------------------------------------
ms <- read.csv("tests/reference/data/bmt.csv")
ms <- ms[ms$ftime > 0, ]
ms$id <- seq_len(nrow(ms))
ms$w <- rep(c(1, 0.5, 2, 1.5), length.out = nrow(ms))
ms$entry <- floor(ms$ftime * (seq_len(nrow(ms)) %% 3) / 4)
ms_fit <- function(label, fit) {
  list(label = label, states = fit$states, time = fit$time, pstate = unname(fit$pstate),
       std_err = unname(fit$std.err), strata = if (is.null(fit$strata)) NULL else unname(fit$strata))
}
multistate <- list(
  data = as.list(ms),
  fits = list(
    ms_fit("plain", survfit(Surv(ftime, factor(status)) ~ 1, data = ms)),
    ms_fit("weights", survfit(Surv(ftime, factor(status)) ~ 1, data = ms, weights = w)),
    ms_fit("weights_entry", survfit(Surv(entry, ftime, factor(status)) ~ 1, data = ms,
                                    weights = w, id = id)),
    ms_fit("by_dis_entry", survfit(Surv(entry, ftime, factor(status)) ~ dis, data = ms, id = id))
  ),
  # pointwise intervals of each conf.type (the transforms act on the state probabilities)
  intervals = lapply(c("plain", "log", "log-log", "logit", "arcsin"), function(ct) {
    fit <- survfit(Surv(ftime, factor(status)) ~ 1, data = ms, conf.type = ct, conf.int = 0.9)
    list(conf_type = ct, level = 0.9, lower = unname(fit$lower), upper = unname(fit$upper))
  }))

meta <- list(R = R.version.string, cmprsk = as.character(packageVersion("cmprsk")),
             generated = format(Sys.Date()))
writeLines(toJSON(list(meta = meta, cases = cases, multistate = multistate), digits = NA,
                  na = "string",
                  auto_unbox = TRUE),
           "tests/reference/r_reference_cr.json")
cat("wrote", length(cases), "cases\n")
