# nbgrader's configuration for the course's graded assignments. scripts/build_assignments.py (`make assignments`)
# copies it into the course folder it builds (build/assignments/nbgrader_config.py); nbgrader reads it from the
# folder it runs in. On a hub, put it (edited) into the instructor's course folder. Options: nbgrader's
# documentation, "nbgrader_config.py" and "Configuration options" (nbgrader 0.9).
c = get_config()  # noqa: F821 (nbgrader's config loader defines get_config)

# On a JupyterHub with the exchange (release_assignment, fetch, submit, collect), name the course, e.g.:
# c.CourseDirectory.course_id = "nncourse-2026"

# What replaces each `### BEGIN SOLUTION` ... `### END SOLUTION` region in the learners' version: the same stub
# as in the lessons, so a learner's unchanged function is "not attempted yet" for exercises.check.
c.ClearSolutions.code_stub = {"python": "raise NotImplementedError  # your code here"}
c.ClearSolutions.text_stub = "Your answer here."

# Autograding runs each submission in a fresh kernel; a check takes well under a second, so 60 s a cell only
# stops a learner's endless loop.
c.Execute.timeout = 60
