"""The training and evaluation workers: library code behind the nodes (no ROS needed).

`settings` resolves the configuration once; `training.TrainingWorker` and
`evaluation.EvaluationWorker` run; `progress` prints what the user sees.
"""
