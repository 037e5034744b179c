#!/bin/sh
# The one-shot namespace job of docker-compose.yml (image temporalio/admin-tools): waits for the
# server, creates arcadence's namespace when missing and registers the search attributes the
# enrollment workflow upserts (workflows/search_attributes.py). Safe to run again.
set -eu

NAMESPACE=${NAMESPACE:-default}
ATTRIBUTES="CustomerId=Keyword DefinitionId=Keyword EnrollmentState=Keyword NextStepAt=Datetime"

tries=0
until temporal operator cluster health >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { echo "temporal at $TEMPORAL_ADDRESS is not healthy" >&2; exit 1; }
    sleep 2
done

if ! temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
    temporal operator namespace create --namespace "$NAMESPACE" --retention "${RETENTION:-30d}"
fi

# A new namespace reaches the server's namespace cache a few seconds after it is created.
tries=0
until existing=$(temporal operator search-attribute list --namespace "$NAMESPACE" 2>&1); do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { echo "$existing" >&2; exit 1; }
    sleep 1
done
for spec in $ATTRIBUTES; do
    name=${spec%%=*}
    type=${spec##*=}
    if ! printf '%s\n' "$existing" | grep -qw "$name"; then
        temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type"
    fi
done
echo "namespace $NAMESPACE is ready with arcadence's search attributes"
