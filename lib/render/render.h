/* Words: the names of the result model's enums (also the JSON schema's names) and the
 * rendering of an incident's sentences. Shared by every writer (text, JSON, HTML, ...). */
#ifndef WHY_RENDER_RENDER_H
#define WHY_RENDER_RENDER_H

#include "why502/why502.h"

/* Fills the words of inc that are still empty from its cause, parameters and evidence. */
void why_render_incident(struct why_incident *inc);

#endif
