-- SY22-FW-01-1 (ratio): in 2022 (from 2022-05-12), each unit's mini-program users
-- (累计用户数) must be at least 30 % of its resident population (常住人口), summed over its
-- 小程序用户统计 events; a year is judged once it has ended by as_of. Written by hand.
-- $log: the CSV; $as_of: the moment judged.
WITH ev AS (
    SELECT unit, "timestamp" AS ts, TRY_CAST(累计用户数 AS DOUBLE) AS num,
           TRY_CAST(常住人口 AS DOUBLE) AS den
    FROM read_csv($log, header = true, all_varchar = true, auto_detect = true,
                  types = {'timestamp': 'TIMESTAMP'})
    WHERE event_type = '小程序用户统计' AND "timestamp" <= $as_of
      AND "timestamp" >= TIMESTAMP '2022-05-12' AND "timestamp" < TIMESTAMP '2023-01-01'
)
SELECT unit, '2022' AS period, sum(num) / sum(den) AS share
FROM ev WHERE num IS NOT NULL AND den IS NOT NULL
GROUP BY unit
HAVING sum(den) > 0 AND sum(num) / sum(den) < 0.3 AND $as_of >= TIMESTAMP '2023-01-01'
ORDER BY unit
