"""The Python Kubernetes client (PyPI `kubernetes`, which KServe's SDK uses) against the
simulated cluster: list, get, merge-patch and watch LLMInferenceServices in both served
versions, and list InferenceServices and TrainedModels, as a user's script would.

Usage: python k8s_client.py KUBECONFIG NAMESPACE SERVICE
Prints one JSON object with what it saw; exits non-zero on any API error.
"""

import json
import sys

from kubernetes import client, config, watch

GROUP = "serving.kserve.io"


def main() -> None:
    kubeconfig, namespace, service = sys.argv[1], sys.argv[2], sys.argv[3]
    config.load_kube_config(config_file=kubeconfig)
    api = client.CustomObjectsApi()
    seen = {}
    for version in ("v1alpha1", "v1alpha2"):
        listed = api.list_namespaced_custom_object(
            GROUP, version, namespace, "llminferenceservices"
        )
        seen[version] = sorted(item["metadata"]["name"] for item in listed["items"])
        seen[version + "_api_version"] = sorted(
            {item["apiVersion"] for item in listed["items"]}
        )
    one = api.get_namespaced_custom_object(
        GROUP, "v1alpha2", namespace, "llminferenceservices", service
    )
    seen["ready"] = [
        c["status"]
        for c in one.get("status", {}).get("conditions", [])
        if c["type"] == "Ready"
    ]
    patched = api.patch_namespaced_custom_object(
        GROUP,
        "v1alpha1",
        namespace,
        "llminferenceservices",
        service,
        {"metadata": {"annotations": {"example.com/touched-by": "python-client"}}},
    )
    seen["patched_annotation"] = patched["metadata"]["annotations"].get(
        "example.com/touched-by"
    )
    events = watch.Watch().stream(
        api.list_namespaced_custom_object,
        GROUP,
        "v1alpha2",
        namespace,
        "llminferenceservices",
        timeout_seconds=2,
    )
    seen["watched"] = sorted(
        {e["object"]["metadata"]["name"] for e in events if e["type"] == "ADDED"}
    )
    isvcs = api.list_cluster_custom_object(GROUP, "v1beta1", "inferenceservices")
    seen["inferenceservices"] = len(isvcs["items"])
    trained = api.list_cluster_custom_object(GROUP, "v1alpha1", "trainedmodels")
    seen["trainedmodels"] = sorted(
        (item["metadata"]["name"], item["spec"]["inferenceService"])
        for item in trained["items"]
    )
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
