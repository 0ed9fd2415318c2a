"""Datasets as `WindowSet`s: UCI HAR, raw recordings and users' own windows."""
