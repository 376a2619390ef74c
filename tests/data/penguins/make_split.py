"""Split penguins.csv into train.csv and test.csv, stratified by species.

Run from this folder with ``python make_split.py``; the seed fixes the split.
"""

from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent

penguins = pd.read_csv(HERE / "penguins.csv")
train, test = train_test_split(
    penguins, test_size=0.25, stratify=penguins["species"], random_state=7
)
train.sort_index().to_csv(HERE / "train.csv", index=False)
test.sort_index().to_csv(HERE / "test.csv", index=False)
