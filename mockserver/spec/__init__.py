"""openapi.yaml: the document (document.py), its checks (checks.py) and the compiled model (model.py)."""

from mockserver.spec.checks import load_model
from mockserver.spec.document import DEFAULT_SPEC_PATH, Spec
from mockserver.spec.model import ApiModel, Operation, Parameter

__all__ = ["DEFAULT_SPEC_PATH", "ApiModel", "Operation", "Parameter", "Spec", "load_model"]
