{#- The one reader of the partner export. The var `raw_activity_path` (a file or a glob, relative
    to the project folder) is expanded to its files; each file is checked on its own (required
    columns, duplicated names, delimiter, ragged rows and unterminated quotes with file and line)
    and read with every column as text. A file without a partner_id column takes the var
    `partner_id`. Returns the SQL of a relation with: source_file, source_file_index,
    file_row_number, raw_<column> for each required column, raw_partner_id and
    is_partner_id_from_var. No text from the export or the vars reaches SQL unquoted. -#}

{% macro read_partner_export(required_columns) -%}
    {{ return(adapter.dispatch('read_partner_export', 'churn')(required_columns)) }}
{%- endmacro %}

{% macro duckdb__read_partner_export(required_columns) -%}
    {%- if not execute -%}
        {{ return(_partner_export_placeholder(required_columns)) }}
    {%- endif -%}
    {%- set files = partner_export_files() -%}
    {%- set parts = [] -%}
    {%- set without_partner_id = [] -%}
    {%- for file in files -%}
        {%- if (file | lower).endswith('.parquet') -%}
            {%- set columns = _parquet_columns(file) -%}
        {%- else -%}
            {%- set columns = _csv_columns(file) -%}
        {%- endif -%}
        {%- set names = columns['names'] -%}
        {%- set missing = [] -%}
        {%- for column in required_columns if column not in names -%}
            {%- do missing.append(column) -%}
        {%- endfor -%}
        {%- if missing -%}
            {%- set hint = '' -%}
            {%- if columns.get('delimiter') and columns['delimiter'] != ',' -%}
                {%- set hint = ' It is read as ' ~ columns['delimiter_name'] ~ '-separated.' -%}
            {%- elif names | length <= 1 -%}
                {%- set hint = ' Its header has one column: the file does not look comma-separated.' -%}
            {%- endif -%}
            {{ exceptions.raise_compiler_error(
                "The partner export file '" ~ file ~ "' is missing required column(s): "
                ~ missing | join(', ') ~ ". Columns found: " ~ names | join(', ') ~ "." ~ hint) }}
        {%- endif -%}
        {%- if 'partner_id' not in names -%}
            {%- do without_partner_id.append(file) -%}
        {%- endif -%}
        {%- if columns.get('delimiter') -%}
            {%- do _raise_on_rejected_csv_line(file, columns) -%}
        {%- endif -%}
        {%- do parts.append(_partner_export_file_select(file, loop.index, columns, required_columns)) -%}
    {%- endfor -%}
    {%- if without_partner_id and partner_id_var() == '' -%}
        {{ exceptions.raise_compiler_error(
            "The partner export file '" ~ without_partner_id[0] ~ "' has no partner_id column"
            ~ (" (nor " ~ (without_partner_id | length - 1) ~ " other file(s))" if without_partner_id | length > 1 else "")
            ~ " and the var partner_id is not set: say whose export it is (make build RAW=... PARTNER=P07,"
            ~ " churn score --partner-id P07, or --vars '{partner_id: P07}').") }}
    {%- endif -%}
    {{ return(parts | join('\n    union all\n    ')) }}
{%- endmacro %}

{#- The export named by the var `raw_activity_path`, or by the environment variable
    CHURN_RAW_ACTIVITY_PATH when that is set: churn's own dbt runs pass the export there, because
    dbt throws its saved parse away whenever a var changes. -#}
{% macro raw_activity_path() -%}
    {{ return(env_var('CHURN_RAW_ACTIVITY_PATH', '') or var('raw_activity_path', '')) }}
{%- endmacro %}

{#- The files of the export, sorted, with absolute paths; stops when none matches. -#}
{% macro partner_export_files() -%}
    {%- set path = raw_activity_path() -%}
    {%- set path = '' if path is none else (path | string) | trim -%}
    {%- if path == '' -%}
        {{ exceptions.raise_compiler_error("The var raw_activity_path is empty: name the export file or glob.") }}
    {%- endif -%}
    {%- if not path.startswith('/') -%}
        {%- set path = adapter.config.project_root ~ '/' ~ path -%}
    {%- endif -%}
    {%- set found = run_query('select file from glob(' ~ sql_literal(path) ~ ') order by file') -%}
    {%- set files = found.columns[0].values() | list -%}
    {%- if not files -%}
        {{ exceptions.raise_compiler_error(
            "No file matches the var raw_activity_path: '" ~ path ~ "'.") }}
    {%- endif -%}
    {{ return(files) }}
{%- endmacro %}

{#- Lower-cased, trimmed column names without quotes or a byte-order mark. -#}
{% macro _normalised_column_name(name) -%}
    {{ return((name | string).replace('\ufeff', '') | trim | trim('"') | trim | lower) }}
{%- endmacro %}

{% macro _refuse_duplicated_names(file, names) -%}
    {%- set seen = [] -%}
    {%- for name in names -%}
        {%- if name in seen and name != '' -%}
            {{ exceptions.raise_compiler_error(
                "The partner export file '" ~ file ~ "' has the column '" ~ name
                ~ "' more than once: keep one.") }}
        {%- endif -%}
        {%- do seen.append(name) -%}
    {%- endfor -%}
{%- endmacro %}

{#- A CSV file's header, read as one line of text (no sniffing, so nothing can fail here); the
    delimiter is the candidate that splits the header into the most fields. -#}
{% macro _csv_columns(file) -%}
    {%- set header_sql -%}
        select header_line from read_csv({{ sql_literal(file) }}, columns = {'header_line': 'VARCHAR'},
            header = false, auto_detect = false, delim = chr(31), quote = '', escape = '')
        limit 1
    {%- endset -%}
    {%- set lines = run_query(header_sql).columns[0].values() | list -%}
    {%- if not lines or lines[0] is none or lines[0] | trim == '' -%}
        {{ exceptions.raise_compiler_error(
            "The partner export file '" ~ file ~ "' is empty: it has no header line.") }}
    {%- endif -%}
    {%- set line = lines[0] -%}
    {%- set candidates = [(',', 'comma'), (';', 'semicolon'), ('\t', 'tab'), ('|', 'pipe')] -%}
    {%- set best = namespace(delimiter=',', name='comma', count=line.count(',')) -%}
    {%- for delimiter, delimiter_name in candidates -%}
        {%- if line.count(delimiter) > best.count -%}
            {%- set best.delimiter = delimiter -%}
            {%- set best.name = delimiter_name -%}
            {%- set best.count = line.count(delimiter) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set names = [] -%}
    {%- for name in line.split(best.delimiter) -%}
        {%- do names.append(_normalised_column_name(name)) -%}
    {%- endfor -%}
    {%- do _refuse_duplicated_names(file, names) -%}
    {{ return({'names': names, 'delimiter': best.delimiter, 'delimiter_name': best.name}) }}
{%- endmacro %}

{#- The read_csv call of one file: every column as text, positional names col_1..col_n. -#}
{% macro _csv_reader(file, columns, extra_options='') -%}
    {%- set typed = [] -%}
    {%- for name in columns['names'] -%}
        {%- do typed.append("'col_" ~ loop.index ~ "': 'VARCHAR'") -%}
    {%- endfor -%}
    {%- set delimiter = "'\\t'" if columns['delimiter'] == '\t' else sql_literal(columns['delimiter']) -%}
    {{ return("read_csv(" ~ sql_literal(file) ~ ", header = true, auto_detect = false, delim = "
        ~ delimiter ~ ", quote = '\"', escape = '\"', columns = {" ~ typed | join(', ') ~ "}"
        ~ extra_options ~ ")") }}
{%- endmacro %}

{#- Reads the whole file once with DuckDB's reject store, so a ragged row or an unterminated quote
    stops the build with the file and line instead of a parser dump. -#}
{% macro _raise_on_rejected_csv_line(file, columns) -%}
    {%- do run_query('select count(*) from ' ~ _csv_reader(file, columns, ', store_rejects = true')) -%}
    {%- set rejected_sql -%}
        select errors.line, errors.error_type, errors.error_message
        from reject_errors as errors
        inner join reject_scans as scans
            on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
        where scans.file_path = {{ sql_literal(file) }}
            and scans.scan_id = (
                select max(scan_id) from reject_scans where file_path = {{ sql_literal(file) }})
        order by errors.line
        limit 1
    {%- endset -%}
    {%- set rejected = run_query(rejected_sql).rows -%}
    {%- if rejected -%}
        {%- set row = rejected[0] -%}
        {{ exceptions.raise_compiler_error(
            "The partner export file '" ~ file ~ "' cannot be read at line " ~ row[0] ~ ": "
            ~ row[2] ~ " (" ~ row[1] | lower ~ "; the header has " ~ columns['names'] | length
            ~ " " ~ columns['delimiter_name'] ~ "-separated columns).") }}
    {%- endif -%}
{%- endmacro %}

{#- A Parquet file's column names, from its schema (duplicates are visible there). -#}
{% macro _parquet_columns(file) -%}
    {%- set schema_sql -%}
        select name from parquet_schema({{ sql_literal(file) }})
        where name <> 'schema' or num_children is null
    {%- endset -%}
    {%- set raw_names = run_query(schema_sql).columns[0].values() | list -%}
    {%- set names = [] -%}
    {%- for name in raw_names -%}
        {%- do names.append(_normalised_column_name(name)) -%}
    {%- endfor -%}
    {%- do _refuse_duplicated_names(file, names) -%}
    {{ return({'names': names, 'raw_names': raw_names}) }}
{%- endmacro %}

{#- One file's rows with the common column list. -#}
{% macro _partner_export_file_select(file, file_index, columns, required_columns) -%}
    {%- set names = columns['names'] -%}
    {%- set wanted = required_columns + ['partner_id'] -%}
    {%- set selected = [] -%}
    {%- for column in wanted -%}
        {%- if column in names -%}
            {%- set position = names.index(column) -%}
            {%- if columns.get('delimiter') -%}
                {%- set reference = 'col_' ~ (position + 1) -%}
            {%- else -%}
                {%- set reference = '"' ~ columns['raw_names'][position].replace('"', '""') ~ '"' -%}
            {%- endif -%}
            {%- do selected.append('cast(' ~ reference ~ ' as varchar) as raw_' ~ column) -%}
        {%- else -%}
            {%- do selected.append('cast(null as varchar) as raw_' ~ column) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if columns.get('delimiter') -%}
        {%- set reader = _csv_reader(file, columns) -%}
        {%- set row_number = 'row_number() over ()' -%}
    {%- else -%}
        {%- set reader = 'read_parquet(' ~ sql_literal(file) ~ ', file_row_number = true)' -%}
        {%- set row_number = 'file_row_number + 1' -%}
    {%- endif -%}
    {%- set sql -%}
    select
        {{ sql_literal(file) }} as source_file,
        {{ file_index }} as source_file_index,
        {{ row_number }} as file_row_number,
        {{ selected | join(',\n        ') }},
        {{ 'false' if 'partner_id' in names else 'true' }} as is_partner_id_from_var
    from {{ reader }}
    {%- endset -%}
    {{ return(sql) }}
{%- endmacro %}

{#- Parse-time stand-in with the same columns (no file is opened before execution). -#}
{% macro _partner_export_placeholder(required_columns) -%}
    {%- set selected = [] -%}
    {%- for column in required_columns + ['partner_id'] -%}
        {%- do selected.append('cast(null as varchar) as raw_' ~ column) -%}
    {%- endfor -%}
    {{ return("select cast(null as varchar) as source_file, 1 as source_file_index, 1 as file_row_number, "
        ~ selected | join(', ') ~ ", false as is_partner_id_from_var") }}
{%- endmacro %}

{#- Engines without a file reader of their own (Spark): the export is loaded as the source table
    first; the same columns as the DuckDB reader, the whole table as one file in its read order. -#}
{% macro default__read_partner_export(required_columns) -%}
    {%- set relation = source('partner', 'activity') -%}
    {%- if not execute -%}
        {{ return(_partner_export_placeholder(required_columns)) }}
    {%- endif -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- set missing = required_columns | reject('in', names) | list -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error("The export table " ~ relation ~ " lacks the required column(s): " ~ missing | join(', ')) }}
    {%- endif -%}
    select
        {{ sql_literal(relation | string) }} as source_file,
        1 as source_file_index,
        {{ source_row_number() }} as file_row_number,
        {% for column in required_columns + ['partner_id'] -%}
        {% if column in names -%}
        cast({{ column }} as {{ dbt.type_string() }}) as raw_{{ column }},
        {% else -%}
        cast(null as {{ dbt.type_string() }}) as raw_{{ column }},
        {% endif -%}
        {% endfor -%}
        {{ 'false' if 'partner_id' in names else 'true' }} as is_partner_id_from_var
    from {{ relation }}
{%- endmacro %}
