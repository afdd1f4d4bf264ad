#!/usr/bin/env bash
# Creates the operator's IRSA role, as the user guide's "Create IAM Role for IRSA" does:
#   aws iam create-role       (trust policy: trust-policy.json, with your account and OIDC provider)
#   aws iam put-role-policy   (permissions: ecs-policy.json, or ecs-policy-extended.json)
#   kubectl annotate serviceaccount infra-operator-controller-manager -n infra-operator-system eks.amazonaws.com/role-arn=...
#
# Every value defaults to the guide's; override with environment variables:
#   ACCOUNT_ID       123456789012
#   OIDC_PROVIDER    oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE
#                    (yours: aws eks describe-cluster --name <cluster> --query cluster.identity.oidc.issuer --output text,
#                     without the https:// prefix)
#   ROLE_NAME        infra-operator-ecs-role
#   POLICY_NAME      ecs-policy
#   POLICY_FILE      ecs-policy.json      (ecs-policy-extended.json adds the optional reads, see README.md)
#   NAMESPACE        infra-operator-system
#   SERVICE_ACCOUNT  infra-operator-controller-manager
#   DRY_RUN          set to 1 to print the commands instead of running them
#   RENDER_DIR       where the rendered trust policy is written (default: a new temporary directory)
#
# Example: ACCOUNT_ID=111122223333 OIDC_PROVIDER=oidc.eks.eu-west-1.amazonaws.com/id/ABC123 ./iam/create-role.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

ACCOUNT_ID="${ACCOUNT_ID:-123456789012}"
OIDC_PROVIDER="${OIDC_PROVIDER:-oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE}"
ROLE_NAME="${ROLE_NAME:-infra-operator-ecs-role}"
POLICY_NAME="${POLICY_NAME:-ecs-policy}"
POLICY_FILE="${POLICY_FILE:-ecs-policy.json}"
NAMESPACE="${NAMESPACE:-infra-operator-system}"
SERVICE_ACCOUNT="${SERVICE_ACCOUNT:-infra-operator-controller-manager}"
DRY_RUN="${DRY_RUN:-}"
RENDER_DIR="${RENDER_DIR:-$(mktemp -d)}"

case "$POLICY_FILE" in
  /*) policy_path="$POLICY_FILE" ;;
  *) policy_path="$here/$POLICY_FILE" ;;
esac
[[ -f "$policy_path" ]] || { echo "policy file not found: $policy_path" >&2; exit 1; }

# The guide's trust policy with the account, OIDC provider and ServiceAccount substituted (identical by default).
guide_provider='oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE'
guide_subject='system:serviceaccount:infra-operator-system:infra-operator-controller-manager'
mkdir -p "$RENDER_DIR"
trust_path="$RENDER_DIR/trust-policy.json"
sed -e "s|arn:aws:iam::123456789012:oidc-provider/|arn:aws:iam::${ACCOUNT_ID}:oidc-provider/|" \
    -e "s|${guide_provider}|${OIDC_PROVIDER}|g" \
    -e "s|${guide_subject}|system:serviceaccount:${NAMESPACE}:${SERVICE_ACCOUNT}|" \
    "$here/trust-policy.json" > "$trust_path"

role_arn="arn:aws:iam::${ACCOUNT_ID}:role/${ROLE_NAME}"

run() {
  if [[ -n "$DRY_RUN" ]]; then
    printf '%q ' "$@" | sed 's/ $//'
    echo
  else
    "$@"
  fi
}

# Create IAM Role
run aws iam create-role \
  --role-name "$ROLE_NAME" \
  --assume-role-policy-document "file://$trust_path"

# Attach policy
run aws iam put-role-policy \
  --role-name "$ROLE_NAME" \
  --policy-name "$POLICY_NAME" \
  --policy-document "file://$policy_path"

# Annotate Service Account in K8s (restart the operator's pods afterwards so EKS injects the token:
#   kubectl rollout restart deployment/infra-operator-controller-manager -n infra-operator-system)
run kubectl annotate serviceaccount "$SERVICE_ACCOUNT" \
  -n "$NAMESPACE" \
  --overwrite \
  "eks.amazonaws.com/role-arn=${role_arn}"
