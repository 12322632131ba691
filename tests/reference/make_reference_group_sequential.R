# Reference values for survstat.design.group_sequential, computed with rpact.
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_group_sequential.R
# It writes tests/reference/group_sequential.json: for each design (alpha-spending family,
# number of looks, information rates, sidedness) rpact's getDesignGroupSequential
# criticalValues, stageLevels and alphaSpent, and getDesignCharacteristics' inflationFactor
# and shift (the squared drift) at the design's beta; and, for one-sided designs with beta
# spending (typeBetaSpending, non-binding futility), the futilityBounds of the interim looks. Values are written with 15 significant
# digits. rpact 3.3.4 (r-cran-rpact), R 4.2.
#
# rpact solves each boundary to its default tolerance (1e-8 in alpha) and spends
# alpha - tolerance at the final look, so its final boundaries sit about 1e-7 above the
# exact ones; the tests compare at 1e-6.

suppressPackageStartupMessages({
  library(rpact)
  library(jsonlite)
})

families <- list(
  list(spending = "obrien-fleming", type = "asOF", gamma = NULL),
  list(spending = "pocock", type = "asP", gamma = NULL),
  list(spending = "hwang-shih-decani", type = "asHSD", gamma = -4),
  list(spending = "hwang-shih-decani", type = "asHSD", gamma = -2),
  list(spending = "hwang-shih-decani", type = "asHSD", gamma = 1)
)
timings <- list(
  "3" = list(equal = NULL, unequal = c(0.25, 0.6, 1)),
  "5" = list(equal = NULL, unequal = c(0.1, 0.3, 0.5, 0.8, 1))
)
tests <- list(list(alpha = 0.025, sided = 1), list(alpha = 0.05, sided = 2))

one_design <- function(family, looks, timing, test, beta, futility = NULL) {
  args <- list(kMax = looks, alpha = test$alpha, sided = test$sided, beta = beta,
               typeOfDesign = family$type)
  if (!is.null(family$gamma)) args$gammaA <- family$gamma
  if (!is.null(futility)) {
    args$typeBetaSpending <- sub("^as", "bs", futility$type)
    if (!is.null(futility$gamma)) args$gammaB <- futility$gamma
  }
  if (!is.null(timing)) args$informationRates <- timing
  design <- do.call(getDesignGroupSequential, args)
  chars <- getDesignCharacteristics(design)
  list(
    looks = looks, alpha = test$alpha, sided = test$sided, spending = family$spending,
    gamma = family$gamma, timing = timing, power = 1 - beta,
    information_rates = design$informationRates,
    critical_values = design$criticalValues, stage_levels = design$stageLevels,
    alpha_spent = design$alphaSpent,
    inflation_factor = chars$inflationFactor, shift = chars$shift,
    futility_spending = futility$spending, futility_gamma = futility$gamma,
    futility_bounds = if (is.null(futility)) NULL else design$futilityBounds,
    beta_spent = if (is.null(futility)) NULL else design$betaSpent
  )
}

designs <- list()
for (family in families) {
  for (looks in names(timings)) {
    for (timing in timings[[looks]]) {
      for (test in tests) {
        designs[[length(designs) + 1]] <- one_design(family, as.integer(looks), timing, test, 0.2)
      }
    }
  }
}
# power other than rpact's default 0.8
designs[[length(designs) + 1]] <- one_design(families[[1]], 4L, NULL, tests[[1]], 0.1)
designs[[length(designs) + 1]] <- one_design(families[[2]], 4L, c(0.2, 0.5, 0.7, 1), tests[[2]], 0.1)

# beta spending: non-binding futility bounds (one-sided)
futility <- list()
pairs <- list(c(1, 1), c(2, 2), c(3, 4), c(1, 5), c(3, 3))
for (pair in pairs) {
  for (looks in names(timings)) {
    for (timing in timings[[looks]]) {
      for (beta in c(0.2, 0.1)) {
        futility[[length(futility) + 1]] <- one_design(
          families[[pair[1]]], as.integer(looks), timing, tests[[1]], beta, families[[pair[2]]])
      }
    }
  }
}

out <- list(
  source = "rpact::getDesignGroupSequential, rpact::getDesignCharacteristics",
  rpact_version = as.character(packageVersion("rpact")),
  designs = designs,
  futility = futility
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(15), null = "null", pretty = TRUE),
           "tests/reference/group_sequential.json")
