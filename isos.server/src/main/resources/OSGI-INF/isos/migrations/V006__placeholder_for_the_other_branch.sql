-- Placeholder (branch "console" only): version 6 belongs to another branch's migration, and versions must run
-- without gaps. When the branches merge, THIS FILE IS DROPPED in favour of that branch's V006.
SELECT 1;
