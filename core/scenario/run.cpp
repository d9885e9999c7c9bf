#include "scenario/run.h"
