"""Watching a training: read a model store's metrics and sim traces, draw plots, write reports.

Everything here reads what the training already writes (the DRfC store layout),
so it works on a running model, a finished one, or one trained elsewhere, local
or on S3. `store_data.load_store_data` reads a store once; `plots` and `report`
draw from what it read.
"""
