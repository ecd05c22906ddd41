/* Rendering an incident's words. */
#include "render/render.h"

void why_render_incident(struct why_incident *inc)
{
    (void)inc;
}
