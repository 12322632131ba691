# Reference values of the trial designs (survstat design simon|single-arm|oc|events|proportions).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_design.R
# Needs clinfun (Simon two-stage designs, CRAN) and rpact (events). Writes
# tests/reference/r_reference_design.json:
# - simon: clinfun::ph2simon(pu, pa, ep1, ep2, nmax) for the settings of Simon (1989) Table 1
#   (p1 - p0 = 0.20; alpha/beta 0.10/0.10, 0.05/0.20, 0.05/0.10) and a few more (p1 - p0 =
#   0.15 and an ACTIM-like p0 = 0.23): the best design for each n ($out) and the minimax,
#   admissible and optimal designs with their weights (twostage.admissible: weights rounded to
#   three decimals there);
# - oc: clinfun::oc.twostage.bdry for the optimal and minimax designs of a few settings;
# - single: the exact single-stage designs computed here from pbinom (the smallest n meeting
#   the targets, and the smallest n from which every n up to nmax meets them), and
#   clinfun::ph2single's first solution;
# - events: rpact::getSampleSizeSurvival(...)$eventsFixed, Schoenfeld and Freedman;
# - proportions: power.prop.test (tol 1e-12) sizes per group, the Fleiss-Tytun-Ury continuity
#   correction of that size, and the exact power of fisher.test by enumerating every pair of
#   binomial outcomes (with fisher.test itself on each table), and the smallest exact size of
#   a small setting by scanning n.

suppressPackageStartupMessages({
  library(jsonlite)
  library(clinfun)
  library(rpact)
})
options(digits = 16)

simon_settings <- list()
for (p0 in c(0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)) {
  for (ab in list(c(0.10, 0.10), c(0.05, 0.20), c(0.05, 0.10))) {
    simon_settings[[length(simon_settings) + 1]] <- c(p0, p0 + 0.2, ab)
  }
}
simon_settings <- c(simon_settings, list(
  c(0.1, 0.25, 0.05, 0.2), c(0.3, 0.45, 0.05, 0.1), c(0.23, 0.43, 0.05, 0.2),
  c(0.23, 0.45, 0.1, 0.1)
))
simon <- lapply(simon_settings, function(s) {
  x <- ph2simon(s[1], s[2], s[3], s[4], nmax = 100)
  adm <- twostage.admissible(x)
  list(
    p0 = s[1], p1 = s[2], alpha = s[3], beta = s[4], nmax = 100,
    by_n = unname(lapply(seq_len(nrow(x$out)), function(i) unname(x$out[i, ]))),
    designs = unname(lapply(seq_len(nrow(adm)), function(i) {
      list(design = tolower(rownames(adm)[i]), values = unname(adm[i, ]))
    }))
  )
})

oc <- list()
for (s in simon_settings[c(2, 5, 8, 17)]) {
  x <- ph2simon(s[1], s[2], s[3], s[4], nmax = 100)
  adm <- twostage.admissible(x)
  for (i in c(1, nrow(adm))) {
    d <- adm[i, ]
    v <- oc.twostage.bdry(s[1], s[2], d[1], d[2], d[3], d[4])
    oc[[length(oc) + 1]] <- list(
      p0 = s[1], p1 = s[2], r1 = d[[1]], n1 = d[[2]], r = d[[3]], n = d[[4]],
      reject_p0 = v[[1]], reject_p1 = v[[2]], pet0 = v[[3]], en0 = v[[4]]
    )
  }
}

single_design <- function(p0, p1, alpha, power, nmax) {
  n <- 1:nmax
  k <- sapply(n, function(m) min(which(1 - pbinom((0:(m + 1)) - 1, m, p0) <= alpha)) - 1)
  size <- 1 - pbinom(k - 1, n, p0)
  reach <- 1 - pbinom(k - 1, n, p1)
  meets <- size <= alpha & reach >= power & k <= n
  first <- min(which(meets))
  fails <- which(!meets)
  stable <- if (length(fails) == 0) 1 else max(fails) + 1
  list(p0 = p0, p1 = p1, alpha = alpha, power = power, nmax = nmax,
       smallest = c(n[first], k[first], size[first], reach[first]),
       stable = if (stable <= nmax) c(n[stable], k[stable], size[stable], reach[stable]) else NULL,
       ph2single = unname(unlist(ph2single(p0, p1, alpha, 1 - power, nsoln = 1)[1, ])))
}
single <- list(
  single_design(0.2, 0.4, 0.05, 0.8, 100),
  single_design(0.23, 0.45, 0.05, 0.8, 100),
  single_design(0.05, 0.25, 0.1, 0.9, 100),
  single_design(0.3, 0.5, 0.05, 0.9, 200),
  single_design(0.6, 0.8, 0.025, 0.8, 150),
  single_design(0.1, 0.3, 0.05, 0.8, 100)
)

events <- list()
for (hr in c(0.5, 0.7, 0.75, 1.4)) {
  for (method in c("Schoenfeld", "Freedman")) {
    for (s in list(c(0.025, 1, 0.8, 1), c(0.05, 2, 0.9, 2), c(0.05, 2, 0.8, 0.5))) {
      d <- getSampleSizeSurvival(hazardRatio = hr, alpha = s[1], sided = s[2], beta = 1 - s[3],
                                 typeOfComputation = method, allocationRatioPlanned = s[4])
      events[[length(events) + 1]] <- list(
        hazard_ratio = hr, method = tolower(method), alpha = s[1], sided = s[2],
        power = s[3], ratio = s[4], events = d$eventsFixed
      )
    }
  }
}

fisher_power_brute <- function(nc, nt, pc, pt, alpha, sided) {
  total <- 0
  for (xc in 0:nc) for (xt in 0:nt) {
    tab <- matrix(c(xt, nt - xt, xc, nc - xc), 2)
    alt <- if (sided == 2) "two.sided" else if (pt > pc) "greater" else "less"
    p <- fisher.test(tab, alternative = alt)$p.value
    if (p <= alpha * (1 + 1e-7)) total <- total + dbinom(xc, nc, pc) * dbinom(xt, nt, pt)
  }
  total
}
cc <- function(n, delta, k) n / 4 * (1 + sqrt(1 + 2 * (k + 1) / (k * n * abs(delta))))^2
proportions <- list()
for (s in list(c(0.2, 0.4, 0.05, 2, 0.8), c(0.3, 0.5, 0.05, 1, 0.9), c(0.1, 0.35, 0.1, 2, 0.8),
               c(0.6, 0.4, 0.05, 2, 0.9))) {
  n <- power.prop.test(p1 = s[1], p2 = s[2], sig.level = s[3], power = s[5],
                       alternative = if (s[4] == 2) "two.sided" else "one.sided",
                       tol = 1e-12)$n
  proportions[[length(proportions) + 1]] <- list(
    p_control = s[1], p_treatment = s[2], alpha = s[3], sided = s[4], power = s[5],
    n_normal = n, n_cc = cc(n, s[2] - s[1], 1)
  )
}
fisher <- list()
for (s in list(c(20, 20, 0.2, 0.6, 0.05, 2), c(20, 25, 0.2, 0.6, 0.05, 1),
               c(15, 30, 0.5, 0.1, 0.05, 2), c(12, 12, 0.3, 0.9, 0.1, 1))) {
  fisher[[length(fisher) + 1]] <- list(
    n_control = s[1], n_treatment = s[2], p_control = s[3], p_treatment = s[4], alpha = s[5],
    sided = s[6], power = fisher_power_brute(s[1], s[2], s[3], s[4], s[5], s[6])
  )
}
# the smallest exact size per arm (equal arms) for p 0.2 vs 0.7, alpha 0.05 two-sided, 80%
scan <- sapply(5:40, function(n) fisher_power_brute(n, n, 0.2, 0.7, 0.05, 2))
fisher_smallest <- list(p_control = 0.2, p_treatment = 0.7, alpha = 0.05, sided = 2,
                        power = 0.8, sizes = 5:40, powers = scan)

write_json(
  list(simon = simon, oc = oc, single = single, events = events, proportions = proportions,
       fisher = fisher, fisher_smallest = fisher_smallest),
  "tests/reference/r_reference_design.json", digits = NA, auto_unbox = TRUE, pretty = TRUE
)
