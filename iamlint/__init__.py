"""iamlint: evidence-driven, staged least privilege for Terraform-managed IAM."""

__version__ = "0.1.0"
