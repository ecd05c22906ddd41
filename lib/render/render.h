/* Words: the names of the result model's enums (also the JSON schema's names, names.c) and
 * the sentences of an incident (render.c): summary, fix and evidence text, from what the
 * diagnosis chose (render/words.h). Every writer shows these words; none makes its own. */
#ifndef WHY_RENDER_RENDER_H
#define WHY_RENDER_RENDER_H

#include "diagnose/diagnose.h"

/* Fills d->inc's summary, fix and evidence texts. */
void why_render(struct why_diagnosis *d);
/* Fills a->why from its basis and the request whose pairing changes with it. */
void why_render_alternative(struct why_alternative *a);

#endif
