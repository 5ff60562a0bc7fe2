/* Functions that invite overflows or hidden state; use the safer ones named. */
#ifndef TURNOUT_BANNED_H
#define TURNOUT_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy) /* use xstrdup or snprintf */
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf) /* use snprintf or xasprintf */
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok) /* use strtok_r or strsep */
#undef gets
#define gets(x) BANNED(gets)

#endif
