"""MLflow "models from code" definition of the quick-churn classifier.

MLflow stores this file instead of a pickled object. On load it verifies and reads the skops
artifact that was logged beside it (hashes, allowed types, feature schema), so the registry
serves exactly the bytes the build saved. `predict` takes the raw feature columns of
`int_classifier__features` and returns `quick_churn_probability`, `risk_band` and `served_by`.
"""

from __future__ import annotations

import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel

ARTIFACT_KEY = "skops_artifact"


class QuickChurnPyfunc(PythonModel):
    """Wraps a verified `QuickChurnClassifier` artifact folder."""

    def load_context(self, context) -> None:
        from churn.monitoring import served_model

        self.served_model = served_model
        self.model = served_model.load(context.artifacts[ARTIFACT_KEY])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return self.served_model.score(self.model, model_input)


set_model(QuickChurnPyfunc())
