"""The data sets, all generated or shipped inside a package (nothing is downloaded): two-dimensional toy
problems, a regression and the splits and standardizer (synthetic); scikit-learn's bundled 8x8 digits (digits)."""
