"""Texts of the Insights page: filters, key figures, the six charts and their readings, the
per-model table, the answers behind a click (keys ``insights.*``)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "insights.page": {"en": "Insights", "es": "Estadísticas"},
    "insights.title": {"en": "How your models do", "es": "Cómo rinden tus modelos"},
    "insights.caption": {
        "en": "Measured on your own machine, from every answer Charla stored. Click a bar or a point to list the answers behind it.",
        "es": "Medido en tu propia máquina, a partir de cada respuesta que Charla guardó. Pulsa una barra o un punto para ver las respuestas que hay detrás.",
    },
    # --- filters -------------------------------------------------------------------------------
    "insights.dates": {"en": "Days", "es": "Días"},
    "insights.dates_help": {
        "en": "Answers written between these days, both included, in your browser's time zone ({zone}). Empty: all of them.",
        "es": "Respuestas escritas entre estos días, ambos incluidos, en la zona horaria de tu navegador ({zone}). Vacío: todas.",
    },
    "insights.models": {"en": "Models", "es": "Modelos"},
    "insights.all_models": {"en": "All models", "es": "Todos los modelos"},
    "insights.tags": {"en": "Tags", "es": "Etiquetas"},
    "insights.all_tags": {"en": "Any tag or none", "es": "Cualquier etiqueta o ninguna"},
    "insights.no_tags": {"en": "No tags yet", "es": "Aún no hay etiquetas"},
    "insights.unknown_model": {"en": "(unknown model)", "es": "(modelo desconocido)"},
    # --- empty ---------------------------------------------------------------------------------
    "insights.empty_history": {
        "en": "Nothing to show yet: Insights is about the answers your models gave, and there are none. Chat with a model, or compare two side by side, and come back: every answer's speed, time to first token, tokens and outcome are measured and stored as it is written.",
        "es": "Aún no hay nada que mostrar: Estadísticas trata de las respuestas de tus modelos, y no hay ninguna. Chatea con un modelo, o compara dos lado a lado, y vuelve: la velocidad de cada respuesta, el tiempo hasta el primer token, los tokens y cómo terminó se miden y se guardan mientras se escribe.",
    },
    "insights.no_match": {
        "en": "No answer matches these filters. Widen the days, or choose other models or tags.",
        "es": "Ninguna respuesta coincide con estos filtros. Amplía los días o elige otros modelos o etiquetas.",
    },
    "insights.go_chat": {"en": "Start a chat", "es": "Empezar un chat"},
    "insights.go_compare": {"en": "Compare models", "es": "Comparar modelos"},
    # --- key figures ---------------------------------------------------------------------------
    "insights.chats": {"en": "Chats", "es": "Chats"},
    "insights.messages": {"en": "Messages", "es": "Mensajes"},
    "insights.messages_help": {
        "en": "The answers shown here and the questions they answer.",
        "es": "Las respuestas que se muestran y las preguntas a las que responden.",
    },
    "insights.answers": {"en": "Answers", "es": "Respuestas"},
    "insights.tokens_in": {"en": "Tokens in", "es": "Tokens de entrada"},
    "insights.tokens_in_help": {
        "en": "Prompt tokens the models read: every request sends the conversation so far again.",
        "es": "Tokens de prompt que leyeron los modelos: cada petición vuelve a enviar la conversación hasta ese momento.",
    },
    "insights.tokens_out": {"en": "Tokens out", "es": "Tokens de salida"},
    "insights.median_speed": {"en": "Median speed", "es": "Velocidad mediana"},
    "insights.median_ttft": {"en": "Median first token", "es": "Primer token (mediana)"},
    "insights.ttft_help": {
        "en": "Time to first token, measured by Charla from sending the request to the first text. It includes any time the server spent loading the model on demand: LM Studio's OpenAI-compatible endpoint does not report loading apart.",
        "es": "Tiempo hasta el primer token, medido por Charla desde que envía la petición hasta el primer texto. Incluye el tiempo que el servidor tardó en cargar el modelo bajo demanda: el endpoint compatible con OpenAI de LM Studio no informa de la carga por separado.",
    },
    "insights.errors": {"en": "Errors", "es": "Errores"},
    "insights.stopped": {"en": "Stopped", "es": "Detenidas"},
    "insights.database": {"en": "Database size", "es": "Tamaño de la base de datos"},
    "insights.tok_s": {"en": "{value} tok/s", "es": "{value} tok/s"},
    "insights.seconds": {"en": "{value} s", "es": "{value} s"},
    # --- charts --------------------------------------------------------------------------------
    "insights.chart_activity": {"en": "Answers per day", "es": "Respuestas por día"},
    "insights.read_activity": {
        "en": "{answers} answers on {days} days; the busiest was {day}, with {count}.",
        "es": "{answers} respuestas en {days} días; el de más actividad fue {day}, con {count}.",
    },
    "insights.chart_speed": {"en": "Speed per model", "es": "Velocidad por modelo"},
    "insights.read_speed": {
        "en": "{fast} is the fastest here at a median {fast_value} tok/s, {slow} the slowest at {slow_value} (boxes: middle half of the answers; lines: 5th to 95th percentile).",
        "es": "{fast} es el más rápido aquí, con una mediana de {fast_value} tok/s, y {slow} el más lento, con {slow_value} (cajas: la mitad central de las respuestas; líneas: percentiles 5 a 95).",
    },
    "insights.read_speed_one": {
        "en": "{model} writes a median {value} tok/s; half its answers fall between {low} and {high} (lines: 5th to 95th percentile).",
        "es": "{model} escribe una mediana de {value} tok/s; la mitad de sus respuestas está entre {low} y {high} (líneas: percentiles 5 a 95).",
    },
    "insights.chart_ttft": {
        "en": "Time to first token per model",
        "es": "Tiempo hasta el primer token por modelo",
    },
    "insights.read_ttft": {
        "en": "{model} starts answering soonest: half its answers begin within {p50} s, 95 % within {p95} s.",
        "es": "{model} empieza a responder antes: la mitad de sus respuestas empieza en {p50} s, el 95 % en {p95} s.",
    },
    "insights.chart_tokens": {"en": "Tokens per day", "es": "Tokens por día"},
    "insights.read_tokens": {
        "en": "{tokens_in} tokens read and {tokens_out} written: the models read {ratio}× what they write, because every request resends the conversation.",
        "es": "{tokens_in} tokens leídos y {tokens_out} escritos: los modelos leen {ratio}× lo que escriben, porque cada petición reenvía la conversación.",
    },
    "insights.chart_outcomes": {
        "en": "How answers ended, per model",
        "es": "Cómo terminaron las respuestas, por modelo",
    },
    "insights.read_outcomes": {
        "en": "{share} of the answers ended normally; {model} has the highest error rate ({rate}).",
        "es": "El {share} de las respuestas terminó con normalidad; {model} tiene la tasa de errores más alta ({rate}).",
    },
    "insights.read_outcomes_clean": {
        "en": "{share} of the answers ended normally, and none failed.",
        "es": "El {share} de las respuestas terminó con normalidad, y ninguna falló.",
    },
    "insights.chart_context": {
        "en": "Prompt size and time to first token",
        "es": "Tamaño del prompt y tiempo hasta el primer token",
    },
    "insights.read_context": {
        "en": "Each point is an answer ({shown} newest of {total}). With the longest prompts, {model} takes {factor}× as long to start as with the shortest: the cost of a growing context.",
        "es": "Cada punto es una respuesta (las {shown} más recientes de {total}). Con los prompts más largos, {model} tarda {factor}× más en empezar que con los más cortos: el coste de un contexto que crece.",
    },
    "insights.read_context_flat": {
        "en": "Each point is an answer ({shown} newest of {total}). Too few answers per model, or too similar prompts, to say how the context's size changes the wait.",
        "es": "Cada punto es una respuesta (las {shown} más recientes de {total}). Hay pocas respuestas por modelo, o prompts demasiado parecidos, para decir cómo cambia la espera con el tamaño del contexto.",
    },
    "insights.axis_day": {"en": "Day", "es": "Día"},
    "insights.axis_answers": {"en": "Answers", "es": "Respuestas"},
    "insights.axis_model": {"en": "Model", "es": "Modelo"},
    "insights.axis_speed": {"en": "Tokens per second", "es": "Tokens por segundo"},
    "insights.axis_ttft": {"en": "Seconds to first token", "es": "Segundos hasta el primer token"},
    "insights.axis_tokens": {"en": "Tokens", "es": "Tokens"},
    "insights.axis_prompt": {"en": "Prompt tokens", "es": "Tokens del prompt"},
    "insights.axis_outcome": {"en": "Ended", "es": "Terminó"},
    "insights.axis_percentile": {"en": "Percentile", "es": "Percentil"},
    "insights.direction_in": {"en": "in (prompt)", "es": "entrada (prompt)"},
    "insights.direction_out": {"en": "out (answer)", "es": "salida (respuesta)"},
    "insights.outcome_complete": {"en": "complete", "es": "completa"},
    "insights.outcome_length": {"en": "cut at the limit", "es": "cortada en el límite"},
    "insights.outcome_stopped": {"en": "stopped", "es": "detenida"},
    "insights.outcome_error": {"en": "error", "es": "error"},
    "insights.tooltip_chat": {"en": "Chat", "es": "Chat"},
    "insights.tooltip_when": {"en": "When", "es": "Cuándo"},
    # --- per-model table -----------------------------------------------------------------------
    "insights.table": {"en": "Per model", "es": "Por modelo"},
    "insights.col_model": {"en": "Model", "es": "Modelo"},
    "insights.col_answers": {"en": "Answers", "es": "Respuestas"},
    "insights.col_speed": {"en": "Median tok/s", "es": "Mediana tok/s"},
    "insights.col_speed_p95": {"en": "p95 tok/s", "es": "p95 tok/s"},
    "insights.col_ttft": {"en": "Median first token (s)", "es": "Mediana primer token (s)"},
    "insights.col_ttft_p95": {"en": "p95 first token (s)", "es": "p95 primer token (s)"},
    "insights.col_length": {"en": "Median answer (tokens)", "es": "Mediana respuesta (tokens)"},
    "insights.col_errors": {"en": "Error rate", "es": "Tasa de errores"},
    "insights.col_last": {"en": "Last used", "es": "Último uso"},
    "insights.table_help": {
        "en": "Click a column's header to sort by it.",
        "es": "Pulsa la cabecera de una columna para ordenar por ella.",
    },
    "insights.download": {"en": "Download CSV", "es": "Descargar CSV"},
    # --- drill-down ------------------------------------------------------------------------------
    "insights.picked": {"en": "Answers behind your click", "es": "Respuestas detrás de tu clic"},
    "insights.updating": {
        "en": ":material/sync: Updating with the latest answers…",
        "es": ":material/sync: Actualizando con las últimas respuestas…",
    },
    "insights.updating_help": {
        "en": "The figures below are from before the latest changes to the history; the page shows the new ones as soon as they are computed.",
        "es": "Las cifras de abajo son de antes de los últimos cambios del historial; la página muestra las nuevas en cuanto se calculan.",
    },
    "insights.picked_what": {"en": "{what}: {count} answers", "es": "{what}: {count} respuestas"},
    "insights.picked_what_one": {"en": "{what}: 1 answer", "es": "{what}: 1 respuesta"},
    "insights.picked_more": {
        "en": "The newest {shown} are listed.",
        "es": "Se muestran las {shown} más recientes.",
    },
    "insights.pick_hint": {
        "en": "Click a bar or a point in a chart to list the answers behind it, each with a link to its chat.",
        "es": "Pulsa una barra o un punto de un gráfico para ver las respuestas que hay detrás, cada una con un enlace a su chat.",
    },
    "insights.clear": {"en": "Clear the selection", "es": "Quitar la selección"},
    "insights.answer_link": {
        "en": "{title} · {model} · {when} · {outcome}{stats}",
        "es": "{title} · {model} · {when} · {outcome}{stats}",
    },
    "insights.answer_one": {"en": "One answer", "es": "Una respuesta"},
    "insights.untitled": {"en": "Untitled chat", "es": "Chat sin título"},
}
