{{/* The operator's watched namespaces, as its controllers read them: a comma-separated list, or all. */}}
{{- define "tunnel-operator.watchedNamespaces" -}}
{{- if .Values.app.watchAllNamespaces -}}
JOSDK_ALL_NAMESPACES
{{- else -}}
{{- join "," .Values.app.watchNamespaces -}}
{{- end -}}
{{- end -}}
