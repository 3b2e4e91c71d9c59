"""Plotting helpers that draw on an Axes they are given (plots, layerplots) and the course's figure style,
course.mplstyle: plt.style.use("nncourse.plotting.course")."""
