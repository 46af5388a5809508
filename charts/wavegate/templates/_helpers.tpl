{{- define "wavegate.labels" -}}
app.kubernetes.io/name: wavegate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{- define "wavegate.selector" -}}
app.kubernetes.io/name: wavegate
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The webhook configurations Wavegate keeps: generated into files/ by make manifests. */}}
{{- define "wavegate.webhookConfigurations" -}}
wavegate-gate,wavegate-validating-webhook-configuration
{{- end }}

{{/* Non-empty when the webhook server authenticates the API server by client certificate. */}}
{{- define "wavegate.clientCA" -}}
{{- if and .Values.webhook.clientCA.secretName .Values.webhook.clientCA.configMapName -}}
{{- fail "webhook.clientCA: set secretName or configMapName, not both" -}}
{{- end -}}
{{- if or .Values.webhook.clientCA.secretName .Values.webhook.clientCA.configMapName -}}
true
{{- end -}}
{{- end }}
