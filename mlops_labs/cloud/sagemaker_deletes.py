"""DeleteModelPackage and DeleteModelPackageGroup for moto's SageMaker, which lacks both.

Live mode removes what a run registered; proving that against the AWS sandbox needs the two
calls. Their shapes are SageMaker's (ModelPackageName: a name or ARN; ModelPackageGroupName),
answering an empty result. That a group still holding packages is refused is inferred, not
confirmed against the service.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    """Teach moto's SageMaker backend and responses the two calls (once; idempotent)."""
    from moto.core.responses import EmptyResult
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    if hasattr(SageMakerModelBackend, "delete_model_package"):
        return

    def delete_model_package(backend: Any, model_package_name: str) -> None:
        arn = backend.model_package_name_mapping.get(model_package_name, model_package_name)
        package = backend.model_packages.pop(arn, None)
        if package is None:
            raise ValidationError(f"Model package {model_package_name} not found")
        for key in [k for k, v in backend.model_package_name_mapping.items() if v == arn]:
            del backend.model_package_name_mapping[key]

    def delete_model_package_group(backend: Any, model_package_group_name: str) -> None:
        if model_package_group_name not in backend.model_package_groups:
            raise ValidationError(f"Model Package Group {model_package_group_name} not found")
        held = [
            package
            for package in backend.model_packages.values()
            if package.model_package_group_name == model_package_group_name
        ]
        if held:
            raise ValidationError(
                f"Model Package Group {model_package_group_name} still holds {len(held)} "
                "model package(s): delete them first"
            )
        del backend.model_package_groups[model_package_group_name]

    def respond_package(response: Any) -> Any:
        response.sagemaker_backend.delete_model_package(response._get_param("ModelPackageName"))
        return EmptyResult()

    def respond_group(response: Any) -> Any:
        response.sagemaker_backend.delete_model_package_group(
            response._get_param("ModelPackageGroupName")
        )
        return EmptyResult()

    SageMakerModelBackend.delete_model_package = delete_model_package  # type: ignore[attr-defined]
    SageMakerModelBackend.delete_model_package_group = delete_model_package_group  # type: ignore[attr-defined]
    SageMakerResponse.delete_model_package = respond_package  # type: ignore[attr-defined]
    SageMakerResponse.delete_model_package_group = respond_group  # type: ignore[attr-defined]
